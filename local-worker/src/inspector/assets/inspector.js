// Traffic inspector page: polls the JSON API and renders with textContent only (no HTML from data).
const state = { selectedId: null, requests: [], notice: { id: null, text: '' }, renderedDetail: '' };

const tableBody = document.getElementById('requests');
const detail = document.getElementById('detail');
const summary = document.getElementById('summary');

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
}

function ms(value) {
  return value === null ? '…' : `${Math.round(value)} ms`;
}

function bytes(value) {
  return value < 1024 ? `${value} B` : `${(value / 1024).toFixed(1)} KiB`;
}

function renderList() {
  tableBody.replaceChildren();
  summary.textContent = `${state.requests.length} recent request(s)`;
  for (const request of state.requests) {
    const row = document.createElement('tr');
    row.dataset.id = String(request.id);
    if (request.id === state.selectedId) row.className = 'selected';
    cell(row, new Date(request.time).toLocaleTimeString());
    cell(row, request.method);
    cell(row, request.path, 'path');
    cell(row, request.status === null ? '…' : String(request.status), request.status !== null && request.status < 400 ? 'status-ok' : 'status-bad');
    cell(row, ms(request.durationMs));
    cell(row, ms(request.ttfbMs));
    cell(row, bytes(request.bytesIn));
    cell(row, bytes(request.bytesOut));
    cell(row, request.requestId ?? '');
    row.addEventListener('click', () => {
      state.selectedId = request.id;
      state.notice = { id: null, text: '' };
      renderList();
      renderDetail();
    });
    tableBody.appendChild(row);
  }
}

function section(title, text) {
  const heading = document.createElement('h3');
  heading.textContent = title;
  const pre = document.createElement('pre');
  pre.textContent = text;
  detail.append(heading, pre);
}

function prettyBody(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function renderDetail() {
  const request = state.requests.find((candidate) => candidate.id === state.selectedId);
  // Polling re-renders only when something shown changed, so a click or selection is never lost.
  const key = JSON.stringify([request ?? null, state.notice]);
  if (key === state.renderedDetail) return;
  state.renderedDetail = key;
  detail.replaceChildren();
  if (!request) {
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent = 'Select a request to see its headers and bodies.';
    detail.appendChild(empty);
    return;
  }
  const heading = document.createElement('h2');
  heading.textContent = `#${request.id} ${request.method} ${request.path}`;
  const list = document.createElement('dl');
  const facts = [
    ['status', request.status === null ? 'in progress' : String(request.status)],
    ['request id', request.requestId ?? '—'],
    ['duration', ms(request.durationMs)],
    ['first byte', ms(request.ttfbMs)],
    ['bytes in / out', `${bytes(request.bytesIn)} / ${bytes(request.bytesOut)}`],
    ['replay of', request.replayOf === null ? '—' : `#${request.replayOf}`],
  ];
  for (const [name, value] of facts) {
    const term = document.createElement('dt');
    term.textContent = name;
    const description = document.createElement('dd');
    description.textContent = value;
    list.append(term, description);
  }
  const replay = document.createElement('button');
  replay.type = 'button';
  replay.textContent = 'Replay with a fresh signature';
  const notice = document.createElement('span');
  notice.className = 'notice';
  notice.textContent = state.notice.id === request.id ? state.notice.text : '';
  replay.addEventListener('click', async () => {
    replay.disabled = true;
    notice.textContent = 'sending…';
    let text;
    try {
      const response = await fetch(`/api/requests/${request.id}/replay`, { method: 'POST', headers: { 'x-inspector-action': 'replay' } });
      const body = await response.json();
      text = response.ok ? `replayed: status ${body.status}` : `replay failed: ${body.error?.message ?? response.status}`;
    } catch (error) {
      text = `replay failed: ${error}`;
    }
    state.notice = { id: request.id, text };
    replay.disabled = false;
    await refresh();
  });
  detail.append(heading, list, replay, notice);
  section('request headers', JSON.stringify(request.requestHeaders, null, 2));
  section(`request body${request.requestBodyTruncated ? ' (truncated)' : ''}`, prettyBody(request.requestBody));
  section('response headers', JSON.stringify(request.responseHeaders, null, 2));
  section(`response body${request.responseBodyTruncated ? ' (truncated)' : ''}`, request.responseBody);
}

async function refresh() {
  const response = await fetch('/api/requests');
  if (!response.ok) return;
  const body = await response.json();
  state.requests = body.requests;
  renderList();
  renderDetail();
}

refresh();
setInterval(() => {
  refresh().catch(() => undefined);
}, 2000);
