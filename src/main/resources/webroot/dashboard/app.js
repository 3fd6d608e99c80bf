// The dashboard: asks for an API key when the server needs one, then shows the tenant's tasks
// live through one event stream.

import { api, authRequired, keys } from './api.js';
import { LiveStream } from './live.js';
import { TasksView } from './tasks.js';
import { timeZone } from './format.js';
import { createFilesView } from './files.js';

const dialog = document.getElementById('key-dialog');
const keyInput = document.getElementById('key-input');
const keyError = document.getElementById('key-error');
const main = document.getElementById('main');
const live = document.getElementById('live');
const changeKey = document.getElementById('change-key');
const toastBox = document.getElementById('toast');
const extensions = [];

let toastTimer = null;
function toast(message) {
  toastBox.textContent = message;
  toastBox.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    toastBox.hidden = true;
  }, 6000);
}

const LIVE_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  offline: 'Reconnecting…',
  unauthorized: 'Key refused',
};

const tasks = new TasksView(toast);
const stream = new LiveStream({
  onTask: (task) => {
    tasks.onTask(task);
    extensions.forEach((x) => x.onTask && x.onTask(task));
  },
  onDeleted: (deleted) => tasks.onDeleted(deleted),
  onState: (state) => {
    live.dataset.state = state;
    live.textContent = LIVE_TEXT[state] || state;
    if (state === 'unauthorized') {
      askForKey('The API key was refused (401 invalid_api_key). Enter another one.');
    }
  },
  // After an outage the replay brings every change, but deletions are not replayed: read again.
  onReconnected: () => tasks.reload(),
});

function askForKey(message) {
  stream.stop();
  live.dataset.state = 'signed-out';
  live.textContent = 'API key needed';
  main.hidden = true;
  keyError.textContent = message || '';
  keyInput.value = '';
  if (!dialog.open) {
    dialog.showModal();
  }
  keyInput.focus();
}

document.getElementById('key-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const key = keyInput.value.trim();
  if (!key) {
    keyError.textContent = 'Enter a key.';
    return;
  }
  keys.set(key);
  keyError.textContent = 'Checking…';
  if (await open()) {
    dialog.close();
  }
});

dialog.addEventListener('cancel', (e) => e.preventDefault()); // the page is useless without a key

changeKey.addEventListener('click', () => {
  keys.clear();
  askForKey('');
});

/** Checks the key with one cheap call, then loads the page and opens the stream. True when it worked. */
async function open() {
  try {
    await api('GET', '/v1/task_counts');
  } catch (err) {
    if (err.status === 401) {
      keys.clear();
      askForKey('The API key was refused (401 invalid_api_key). Check it and try again.');
    } else {
      keyError.textContent = `The server did not answer: ${err.message}`;
      toast(`The server did not answer: ${err.message}`);
    }
    return false;
  }
  keyError.textContent = '';
  main.hidden = false;
  // Stream first, then the list: a change made in between is not lost (tasks.js keeps the newer).
  await stream.start();
  await tasks.reload();
  for (const x of extensions) {
    await x.start();
  }
  return true;
}

async function boot() {
  document.getElementById('tz').textContent = timeZone();
  const needsKey = await authRequired();
  changeKey.hidden = !needsKey;
  extensions.push(createFilesView(toast));
  if (needsKey && !keys.get()) {
    askForKey('');
    return;
  }
  await open();
}

boot();
