from unittest import mock

import pytest


@pytest.fixture
def shared_layer(monkeypatch):
    """Stands in for a cross-process layer (Redis): records what the view sends."""
    layer = mock.Mock(spec=["send"])
    layer.send = mock.AsyncMock()
    monkeypatch.setattr("transcripts.views.get_channel_layer", lambda: layer)
    return layer
