"""Points in the form GitHub Classroom's autograding reads.

GitHub Classroom shows a student's points from the `autograding-grading-reporter` action, which
reads, for each runner id given to it, an environment variable <RUNNER>_RESULTS holding base64 of
{"version": 1, "status": "pass"|"fail"|"error", "max_score": N, "tests": [{"name", "status",
"message", "score", ...}]} (the shape its own graders write). One test per check here.
"""

import base64
import json

from tools.grading.gradebook import points


def payload(pairs):
    """Base64 of the results of `pairs` ([(exercise, ExerciseResult)]) for the reporter."""
    tests = []
    for exercise, result in pairs:
        for check in result.checks:
            message = None if check.passed else (check.problem.splitlines() or ["failed"])[0]
            tests.append(
                {
                    "name": f"{exercise.number} · {check.name}",
                    "status": "pass" if check.passed else "fail",
                    "message": message,
                    "line_no": 0,
                    "execution_time": f"{result.seconds:.1f}s",
                    "score": points(check.earned),
                }
            )
    failed = any(test["status"] != "pass" for test in tests)
    report = {
        "version": 1,
        "status": "fail" if failed else "pass",
        "max_score": points(sum(exercise.points for exercise, _ in pairs)),
        "tests": tests,
    }
    return base64.b64encode(json.dumps(report, ensure_ascii=False).encode()).decode()
