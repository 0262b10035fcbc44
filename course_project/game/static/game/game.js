// The game page: one WebSocket to /ws/game/<room>/, reconnecting if it drops. The server holds
// the game and sends its full state after every change; this page only draws the latest state
// (with textContent: player names are user text) and sends the player's commands.
"use strict";

const roomName = JSON.parse(document.getElementById("room-name").textContent);
const cells = [...document.querySelectorAll("#game-board .cell")];
const playerX = document.querySelector("#game-player-x");
const playerO = document.querySelector("#game-player-o");
const you = document.querySelector("#game-you");
const turn = document.querySelector("#game-turn");
const winner = document.querySelector("#game-winner");
const status = document.querySelector("#game-status");
const joinButton = document.querySelector("#game-join");
const newButton = document.querySelector("#game-new");
const leaveButton = document.querySelector("#game-leave");
const url = siteUrls.socket(`ws/game/${roomName}/`); // site.js: the prefix, and wss: on https
let socket = null;
let retryDelay = 1000;

function describeTurn(state) {
  if (state.winner) return "Game over.";
  if (!state.players.X || !state.players.O) return "Waiting for two players.";
  if (state.turn === state.you) return `Your turn (${state.you}).`;
  return `${state.turn} to play.`;
}

function describeWinner(state) {
  if (state.winner === "draw") return "A draw.";
  return `${state.winner} wins (${state.players[state.winner]}).`;
}

function render(state) {
  const myTurn = Boolean(state.you) && state.turn === state.you && !state.winner
    && Boolean(state.players.X && state.players.O);
  state.board.forEach((mark, i) => {
    cells[i].textContent = mark;
    cells[i].disabled = !myTurn || mark !== "";
    cells[i].classList.toggle("winning", Boolean(state.line && state.line.includes(i)));
  });
  playerX.textContent = state.players.X ?? "free";
  playerO.textContent = state.players.O ?? "free";
  you.textContent = state.you ? `You play ${state.you}.` : "You are watching.";
  turn.textContent = describeTurn(state);
  winner.hidden = !state.winner;
  winner.textContent = state.winner ? describeWinner(state) : "";
  joinButton.hidden = Boolean(state.you || (state.players.X && state.players.O));
  newButton.hidden = !(state.you && state.winner);
  leaveButton.hidden = !state.you || state.in_progress;
}

function send(command) {
  if (socket.readyState !== WebSocket.OPEN) return;
  status.textContent = "";
  socket.send(JSON.stringify(command));
}

function connect() {
  socket = new WebSocket(url);
  socket.addEventListener("open", () => {
    status.textContent = "";
    retryDelay = 1000;
  });
  socket.addEventListener("message", (event) => {
    const data = JSON.parse(event.data);
    if (data.error) {
      status.textContent = data.error;
    } else if (data.type === "state") {
      render(data);
    }
  });
  socket.addEventListener("close", () => {
    cells.forEach((cell) => { cell.disabled = true; });
    status.textContent = `Disconnected; retrying in ${retryDelay / 1000} s.`;
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  });
}

cells.forEach((cell) => {
  cell.addEventListener("click", () => send({ move: Number(cell.dataset.cell) }));
});
joinButton.addEventListener("click", () => send({ join: true }));
newButton.addEventListener("click", () => send({ new_game: true }));
leaveButton.addEventListener("click", () => send({ leave: true }));
connect();
