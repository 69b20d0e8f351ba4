// Intent test page: debounced prediction as you type. User text is rendered with textContent only.
const DEBOUNCE_MS = 180;
const $ = (id) => document.getElementById(id);
const input = $('text');
let timer;
let sequence = 0;

function percent(value) {
  return `${(value * 100).toFixed(1)}%`;
}

function showError(message) {
  const error = $('error');
  error.textContent = message;
  error.hidden = message === '';
}

function render(result) {
  $('placeholder').hidden = true;
  $('summary').hidden = false;
  $('intent-name').textContent = `${result.intent.name} (${percent(result.intent.confidence)})`;
  $('domain').textContent = result.domain;
  const scope = $('scope');
  scope.textContent = result.outOfScope ? 'out of scope' : 'in scope';
  scope.className = `badge ${result.outOfScope ? 'out' : 'in'}`;
  $('latency').textContent = `${result.latencyMs.toFixed(3)} ms`;
  const list = $('ranking');
  const items = result.ranking.map((entry) => {
    const item = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'name';
    name.id = `rank-${entry.name}`;
    name.textContent = entry.name;
    const bar = document.createElement('progress');
    bar.max = 1;
    bar.value = entry.confidence;
    bar.setAttribute('aria-labelledby', name.id);
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = percent(entry.confidence);
    item.append(name, bar, value);
    return item;
  });
  list.replaceChildren(...items);
}

function clear() {
  $('placeholder').hidden = false;
  $('summary').hidden = true;
  $('ranking').replaceChildren();
  showError('');
}

async function predict(text) {
  const mine = ++sequence;
  $('result').setAttribute('aria-busy', 'true');
  try {
    const response = await fetch('/api/intent', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    const body = await response.json();
    if (mine !== sequence) return;
    if (!response.ok) {
      showError(body?.error?.message ?? `request failed (${response.status})`);
      return;
    }
    showError('');
    render(body);
  } catch (error) {
    if (mine === sequence) showError(`could not reach the gateway: ${error.message}`);
  } finally {
    if (mine === sequence) $('result').setAttribute('aria-busy', 'false');
  }
}

function schedule() {
  clearTimeout(timer);
  const text = input.value.trim();
  if (text === '') {
    sequence += 1;
    clear();
    return;
  }
  timer = setTimeout(() => predict(text), DEBOUNCE_MS);
}

async function loadModel() {
  const status = $('model-status');
  try {
    const response = await fetch('/api/intent/model');
    const body = await response.json();
    if (!body.model) {
      status.textContent = `Model not ready: ${body.status?.message ?? 'unknown'}`;
      setTimeout(loadModel, 2000);
      return;
    }
    const model = body.model;
    status.hidden = true;
    const metrics = model.valMetrics;
    const facts = [
      ['Version', model.version],
      ['Created', new Date(model.createdAt).toLocaleString()],
      ['Algorithm', model.algorithm],
      ['Labels', String(model.labels)],
    ];
    const named = {
      inScopeAccuracy: 'Val in-scope accuracy',
      oosRecall: 'Val out-of-scope recall',
      oosPrecision: 'Val out-of-scope precision',
      macroF1: 'Val macro-F1',
      threshold: 'Confidence threshold',
    };
    for (const [key, label] of Object.entries(named)) {
      if (typeof metrics[key] === 'number') facts.push([label, key === 'threshold' ? metrics[key].toFixed(2) : percent(metrics[key])]);
    }
    const list = $('model-info');
    list.replaceChildren(
      ...facts.flatMap(([term, value]) => {
        const dt = document.createElement('dt');
        dt.textContent = term;
        const dd = document.createElement('dd');
        dd.textContent = value;
        return [dt, dd];
      }),
    );
    list.hidden = false;
  } catch (error) {
    status.textContent = `Could not load model info: ${error.message}`;
  }
}

input.addEventListener('input', schedule);
for (const button of document.querySelectorAll('[data-example]')) {
  button.addEventListener('click', () => {
    input.value = button.dataset.example;
    input.focus();
    schedule();
  });
}
loadModel();
if (input.value.trim() !== '') schedule();
