// The REST API as the page uses it: the key (kept in sessionStorage only) on every request,
// JSON errors of API.md turned into ApiError.

const KEY_ITEM = 'tasks.apiKey';

export class ApiError extends Error {
  constructor(status, body) {
    const err = body && body.error ? body.error : {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || null;
  }
}

export const keys = {
  get: () => sessionStorage.getItem(KEY_ITEM),
  set: (key) => sessionStorage.setItem(KEY_ITEM, key),
  clear: () => sessionStorage.removeItem(KEY_ITEM),
};

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const key = keys.get();
  if (key) {
    headers.Authorization = `Bearer ${key}`;
  }
  if (body !== undefined && !(body instanceof FormData)) {
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await response.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!response.ok) {
    throw new ApiError(response.status, json);
  }
  return json;
}

/** Whether the server wants a key at all (a public route: no 401 in the console for open servers). */
export async function authRequired() {
  const response = await fetch('config.json', { cache: 'no-store' });
  return (await response.json()).auth_required === true;
}
