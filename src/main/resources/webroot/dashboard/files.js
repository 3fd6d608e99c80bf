// Files and vector stores: upload by drag and drop (or the file picker), watch each file's task
// upload-<id> on the page's one event stream, read a file's segments, create a store from files and
// watch its task create-<id>, and search a store.

import { api } from './api.js';
import { el, time, TERMINAL } from './format.js';

const FILE_STATUS = { completed: 'processed', failed: 'failed', cancelled: 'failed' };

function bytes(n) {
  if (n < 1024) {
    return `${n} B`;
  }
  if (n < 1024 * 1024) {
    return `${(n / 1024).toFixed(1)} KB`;
  }
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function bar(id, label) {
  return el('div', { class: 'bar-wrap' },
    el('progress', { max: '100', value: '0', 'aria-label': label, 'data-for': id }),
    el('span', { class: 'pct', text: '0%' }));
}

function setBar(row, task) {
  const progress = Math.round((task.progress || 0) * 100);
  const p = row.querySelector('progress');
  if (p) {
    p.value = progress;
    row.querySelector('.pct').textContent = `${progress}%`;
  }
}

export function createFilesView(toast) {
  const slot = document.getElementById('files-slot');
  const input = el('input', { type: 'file', multiple: true, id: 'file-input', class: 'visually-hidden', tabindex: '-1' });
  const drop = el('div', {
    id: 'drop-zone', class: 'drop-zone', role: 'button', tabindex: '0',
    'aria-label': 'Upload files: drop them here, or press Enter to choose',
  }, el('strong', { text: 'Drop files here' }), el('span', { text: ' or press to choose (.txt, .md, .html, .pdf, .docx)' }));
  const fileRows = el('tbody', { id: 'file-rows' });
  const storeRows = el('tbody', { id: 'store-rows' });
  const storeName = el('input', { id: 'store-name', name: 'name', placeholder: 'handbook', autocomplete: 'off' });
  const storeSelect = el('select', { id: 'search-store', name: 'store', 'aria-label': 'Vector store to search' });
  const query = el('input', { id: 'search-query', name: 'query', type: 'search', placeholder: 'how do bees keep warm', required: true });
  const results = el('ol', { id: 'search-results', class: 'results' });
  const segments = el('div', { id: 'segments', class: 'segments', hidden: true });
  // The newest state of each file's or store's task, also for rows not on the page yet: a small file
  // may be processed before the upload's reply arrives.
  const tasks = new Map();

  slot.replaceChildren(
    el('section', { 'aria-labelledby': 'files-title', class: 'block' },
      el('div', { class: 'section-head' }, el('h2', { id: 'files-title', text: 'Files' })),
      drop, input,
      el('div', { class: 'table-wrap' }, el('table', { id: 'files' },
        el('thead', {}, el('tr', {},
          el('th', { scope: 'col' }, el('span', { class: 'visually-hidden', text: 'Select' })),
          el('th', { scope: 'col', text: 'File' }), el('th', { scope: 'col', text: 'Status' }),
          el('th', { scope: 'col', text: 'Processing' }), el('th', { scope: 'col', text: 'Size' }),
          el('th', { scope: 'col', text: 'Uploaded' }), el('th', { scope: 'col' }, el('span', { class: 'visually-hidden', text: 'Actions' })))),
        fileRows)),
      segments),
    el('section', { 'aria-labelledby': 'stores-title', class: 'block' },
      el('div', { class: 'section-head' },
        el('h2', { id: 'stores-title', text: 'Vector stores' }),
        el('form', { id: 'store-form', class: 'filters', onsubmit: (e) => { e.preventDefault(); createStore(); } },
          el('label', {}, 'Name', storeName),
          el('button', { type: 'submit', id: 'store-create', text: 'Create from selected files' }))),
      el('div', { class: 'table-wrap' }, el('table', { id: 'stores' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Store' }), el('th', { scope: 'col', text: 'Status' }),
          el('th', { scope: 'col', text: 'Task' }), el('th', { scope: 'col', text: 'Files' }), el('th', { scope: 'col', text: 'Created' }))),
        storeRows)),
      el('form', { id: 'search-form', class: 'filters search', onsubmit: (e) => { e.preventDefault(); search(); } },
        el('label', {}, 'Store', storeSelect),
        el('label', { class: 'grow' }, 'Search', query),
        el('button', { type: 'submit', id: 'search-submit', text: 'Search' })),
      results));

  drop.addEventListener('click', () => input.click());
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    upload([...e.dataTransfer.files]);
  });
  input.addEventListener('change', () => {
    upload([...input.files]);
    input.value = '';
  });

  function fileRow(file) {
    const row = el('tr', { 'data-file-id': file.id, 'data-task-id': file.task_id || `upload-${file.id}` },
      el('td', { 'data-label': 'Select' }, el('input', { type: 'checkbox', class: 'pick', 'aria-label': `Select ${file.filename}` })),
      el('th', { scope: 'row', 'data-label': 'File' }, el('div', {}, el('span', { class: 'filename', text: file.filename }),
        el('code', { class: 'type', text: file.id }))),
      el('td', { 'data-label': 'Status' }, el('div', {}, el('span', { class: 'status file-status' }))),
      el('td', { 'data-label': 'Processing' }, bar(file.id, `Processing of ${file.filename}`)),
      el('td', { 'data-label': 'Size', text: bytes(file.bytes || 0) }),
      el('td', { 'data-label': 'Uploaded' }, time(file.created_at)),
      el('td', { 'data-label': 'Actions', class: 'actions' },
        el('button', { type: 'button', class: 'segments-button', text: 'Segments', onclick: () => showSegments(file) }),
        el('button', { type: 'button', class: 'delete danger', 'aria-label': `Delete ${file.filename}`, text: 'Delete', onclick: () => removeFile(file.id) })));
    setFileStatus(row, file.status);
    if (file.status === 'processed') {
      setBar(row, { progress: 1 });
    }
    const task = tasks.get(row.dataset.taskId);
    if (task) {
      applyFileTask(row, task);
    }
    return row;
  }

  function applyFileTask(row, task) {
    setBar(row, task);
    setFileStatus(row, FILE_STATUS[task.status] || 'processing');
  }

  function setFileStatus(row, status) {
    row.dataset.status = status;
    const badge = row.querySelector('.file-status');
    badge.textContent = status;
    badge.className = `status file-status status-${status === 'processed' ? 'completed' : status === 'failed' ? 'failed' : 'in_progress'}`;
  }

  function findRow(tbody, attr, value) {
    for (const row of tbody.children) {
      if (row.dataset[attr] === value) {
        return row;
      }
    }
    return null;
  }

  async function upload(list) {
    for (const file of list) {
      const form = new FormData();
      form.append('file', file, file.name);
      try {
        const created = await api('POST', '/v1/files', form);
        const existing = findRow(fileRows, 'fileId', created.id);
        if (!existing) {
          fileRows.prepend(fileRow(created));
        }
      } catch (err) {
        toast(`Upload of ${file.name} failed: ${err.message}`);
      }
    }
  }

  async function removeFile(id) {
    try {
      await api('DELETE', `/v1/files/${encodeURIComponent(id)}`);
      findRow(fileRows, 'fileId', id)?.remove();
    } catch (err) {
      toast(`Delete failed: ${err.message}`);
    }
  }

  async function showSegments(file) {
    try {
      const doc = await api('GET', `/v1/files/${encodeURIComponent(file.id)}/content`);
      const list = doc.content.segments;
      segments.replaceChildren(
        el('div', { class: 'segments-head' },
          el('h3', { text: `${doc.filename}: ${list.length} ${list.length === 1 ? 'segment' : 'segments'}` }),
          el('button', { type: 'button', text: 'Close', onclick: () => { segments.hidden = true; } })),
        doc.content.summary ? el('p', { class: 'summary', text: doc.content.summary }) : null,
        el('ol', { class: 'segment-list' }, ...list.map((s) => el('li', {}, el('pre', { text: s.content })))));
      segments.hidden = false;
      segments.scrollIntoView({ block: 'nearest' });
    } catch (err) {
      toast(`Could not read segments: ${err.message}`);
    }
  }

  function storeRow(store) {
    const row = el('tr', { 'data-store-id': store.id, 'data-task-id': store.task_id || '' },
      el('th', { scope: 'row', 'data-label': 'Store' }, el('div', {}, el('span', { text: store.name || store.id }),
        el('code', { class: 'type', text: store.id }))),
      el('td', { 'data-label': 'Status' }, el('div', {}, el('span', { class: 'status store-status' }))),
      el('td', { 'data-label': 'Task' }, bar(store.id, `Progress of ${store.name || store.id}`)),
      el('td', { 'data-label': 'Files', class: 'store-files' }),
      el('td', { 'data-label': 'Created' }, time(store.created_at)));
    updateStore(row, store);
    return row;
  }

  function updateStore(row, store) {
    row.dataset.status = store.status;
    const badge = row.querySelector('.store-status');
    badge.textContent = store.status;
    badge.className = `status store-status status-${store.status === 'completed' ? 'completed' : store.status === 'failed' ? 'failed' : 'in_progress'}`;
    const c = store.file_counts || {};
    row.querySelector('.store-files').textContent = `${c.completed ?? 0}/${c.total ?? 0}`;
    if (store.status === 'completed') {
      setBar(row, { progress: 1 });
    }
    if (!findOption(store.id)) {
      storeSelect.append(el('option', { value: store.id, text: store.name || store.id }));
    }
  }

  function findOption(id) {
    return [...storeSelect.options].find((o) => o.value === id);
  }

  async function createStore() {
    const ids = [...fileRows.querySelectorAll('input.pick:checked')].map((c) => c.closest('tr').dataset.fileId);
    if (ids.length === 0) {
      toast('Select one or more files first.');
      return;
    }
    try {
      const store = await api('POST', '/v1/vector_stores', { name: storeName.value.trim(), file_ids: ids });
      storeRows.prepend(storeRow(store));
      storeSelect.value = store.id;
    } catch (err) {
      toast(`Could not create the store: ${err.message}`);
    }
  }

  async function refreshStore(id) {
    try {
      const store = await api('GET', `/v1/vector_stores/${encodeURIComponent(id)}`);
      const row = findRow(storeRows, 'storeId', id);
      if (row) {
        updateStore(row, store);
      }
    } catch (err) {
      toast(`Could not read the store: ${err.message}`);
    }
  }

  async function search() {
    const id = storeSelect.value;
    if (!id) {
      toast('Create a vector store first.');
      return;
    }
    try {
      const page = await api('POST', `/v1/vector_stores/${encodeURIComponent(id)}/search`, { query: query.value, top_k: 5 });
      results.replaceChildren(...(page.data.length === 0 ? [el('li', { class: 'empty', text: 'No results.' })]
        : page.data.map((r) => el('li', { class: 'result' },
          el('div', { class: 'result-head' }, el('span', { class: 'score', text: r.score.toFixed(3) }),
            el('span', { class: 'filename', text: r.filename })),
          el('p', { text: r.content.map((c) => c.text).join(' ') })))));
      results.scrollIntoView({ block: 'nearest' });
    } catch (err) {
      toast(`Search failed: ${err.message}`);
    }
  }

  return {
    async start() {
      try {
        const [files, stores] = await Promise.all([api('GET', '/v1/files?limit=50'), api('GET', '/v1/vector_stores?limit=50')]);
        fileRows.replaceChildren(...files.data.map(fileRow));
        storeRows.replaceChildren(...stores.data.map(storeRow));
      } catch (err) {
        toast(`Could not load files: ${err.message}`);
      }
    },
    onTask(task) {
      if (task.id.startsWith('upload-')) {
        tasks.set(task.id, task);
        const row = findRow(fileRows, 'taskId', task.id);
        if (row) {
          applyFileTask(row, task);
        }
      } else if (task.id.startsWith('create-') || task.id.startsWith('vectorize-')) {
        const storeId = task.id.slice(task.id.indexOf('-') + 1);
        const row = findRow(storeRows, 'storeId', storeId);
        if (row) {
          setBar(row, task);
          if (TERMINAL.has(task.status)) {
            refreshStore(storeId);
          }
        }
      }
    },
  };
}
