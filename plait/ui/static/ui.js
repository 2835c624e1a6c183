// The viewer's one script: draws the run's diagram, follows a live run over server-sent
// events, and loads the node inspector. Every value it shows comes as text (textContent)
// or as HTML the server escaped.
"use strict";

const STATUSES = ["pending", "running", "succeeded", "failed", "cancelled", "skipped", "waiting"];

function diagramNodes(root) {
  const found = new Map();
  for (const group of root.querySelectorAll("g.node")) {
    const title = group.querySelector("title");
    if (title) found.set(title.textContent, group);
  }
  return found;
}

function markNodes(nodes, statuses) {
  for (const [name, status] of Object.entries(statuses)) {
    const group = nodes.get(name);
    if (group) {
      group.dataset.status = status;
      for (const text of group.querySelectorAll("text")) {
        if (STATUSES.includes(text.textContent)) text.textContent = status;
      }
    }
    const row = document.querySelector(`#nodes tr[data-node="${CSS.escape(name)}"] .status`);
    if (row) {
      row.textContent = status;
      row.className = `status status-${status}`;
    }
  }
}

async function inspect(node) {
  const panel = document.getElementById("inspector");
  if (!panel) return;
  const response = await fetch(`${panel.dataset.base}?path=${encodeURIComponent(node)}`);
  panel.innerHTML = await response.text(); // escaped by the server's templates
  document.querySelectorAll("g.node.selected").forEach((g) => g.classList.remove("selected"));
  const group = document.querySelector(`g.node[data-node="${CSS.escape(node)}"]`);
  if (group) group.classList.add("selected");
}

async function drawDiagram(holder) {
  const response = await fetch(holder.dataset.src);
  const text = await response.text();
  if (!response.ok) {
    holder.textContent = text;
    return new Map();
  }
  const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
  holder.replaceChildren(document.importNode(parsed.documentElement, true));
  const nodes = diagramNodes(holder);
  for (const [name, group] of nodes) {
    group.dataset.node = name;
    group.addEventListener("click", (event) => {
      event.preventDefault();
      inspect(name);
    });
  }
  holder.dataset.ready = "true";
  return nodes;
}

function follow(run, nodes) {
  const initial = run.dataset.status;
  const source = new EventSource(run.dataset.events);
  source.addEventListener("update", (event) => {
    const data = JSON.parse(event.data);
    markNodes(nodes, data.nodes);
    const status = document.getElementById("run-status");
    status.textContent = data.status;
    status.className = `status status-${data.status}`;
    run.dataset.live = data.status;
  });
  source.addEventListener("end", () => {
    source.close();
    run.dataset.followed = "true";
    const now = run.dataset.live || initial;
    if (now !== initial) window.location.reload(); // the final outputs, errors and notes
  });
}

document.addEventListener("DOMContentLoaded", async () => {
  for (const link of document.querySelectorAll("a.inspect")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      inspect(link.dataset.node);
    });
  }
  const holder = document.getElementById("diagram");
  const nodes = holder && holder.dataset.src ? await drawDiagram(holder) : new Map();
  const run = document.getElementById("run");
  if (run) follow(run, nodes);
});
