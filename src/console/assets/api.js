// The console's only way to the server: the public API with a bearer token, which lives in
// sessionStorage so it ends with the tab (shared office computers) and is never in a cookie
// (so no other site can make the browser use it).

import { lang, t } from './i18n.js';

const TOKEN_KEY = 'sealdraw.token';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.field = problem.field;
    this.problems = problem.problems;
    this.requestId = problem.request_id;
  }

  /** The problem's stable slug, e.g. "not-found" from "urn:sealdraw:problem:not-found". */
  get code() {
    return (this.type || '').split(':').pop();
  }
}

export function hasToken() {
  return Boolean(sessionStorage.getItem(TOKEN_KEY));
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * request('POST', '/api/v1/draws', body) → parsed JSON, text (for text/plain answers) or null
 * (204). Throws ApiError with the problem's fields. A 401 on an authenticated request means the
 * token ended: the app is told (event "sealdraw:expired") and asks for the password again.
 */
export async function request(method, path, body, { headers = {}, raw = false } = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  // Problem details come back in the language the reader chose here, not the browser's.
  const language = lang() === 'zh' ? 'zh-CN' : 'en';
  const init = { method, headers: { accept: 'application/json, text/plain', 'accept-language': language, ...headers }, cache: 'no-store', credentials: 'omit' };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Blob) {
      init.body = body;
    } else {
      init.body = JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, { title: t('common.error'), detail: t('common.network') });
  }
  if (response.status === 401 && token) {
    window.dispatchEvent(new CustomEvent('sealdraw:expired'));
  }
  if (!response.ok) {
    let problem = { title: `HTTP ${response.status}` };
    try {
      problem = await response.json();
    } catch {
      // Not a problem document (e.g. a proxy's page): the status says enough.
    }
    throw new ApiError(response.status, problem);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get('content-type') || '';
  return type.includes('json') ? response.json() : response.text();
}

export const get = (path, options) => request('GET', path, undefined, options);
export const post = (path, body, options) => request('POST', path, body ?? {}, options);
export const patch = (path, body, options) => request('PATCH', path, body, options);
export const put = (path, body, options) => request('PUT', path, body ?? {}, options);

/** Query string from an object, skipping empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

// Staff accounts by id, for showing who requested or decided something by name instead of an id
// (GET /api/v1/accounts/directory: centers, supervisors, admins; never experts). Read once per
// page load; an account not listed (disabled since, or an expert) keeps its short id.
let directory = null;

export async function accountNames() {
  if (!directory) {
    directory = get('/api/v1/accounts/directory')
      .then((entries) => new Map(entries.map((e) => [e.account_id, e])))
      .catch(() => new Map());
  }
  return directory;
}

/** "张伟（襄阳市住建局）" for a listed account id, else the id's first characters. */
export function accountName(names, id) {
  if (!id) return '';
  return names.get(id)?.name ?? `${String(id).slice(0, 8)}…`;
}

/**
 * Uploads `blob` with progress (a long import): `onProgress(sent, total)` as the bytes go out,
 * then the answer as `request` gives it. fetch cannot report upload progress, so this one
 * request uses XMLHttpRequest, with the same headers and the same problem handling.
 */
export function upload(path, blob, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('accept-language', lang() === 'zh' ? 'zh-CN' : 'en');
    xhr.setRequestHeader('content-type', contentType);
    xhr.upload.addEventListener('progress', (event) => onProgress?.(event.loaded, event.total || blob.size));
    xhr.addEventListener('error', () => reject(new ApiError(0, { title: t('common.error'), detail: t('common.network') })));
    xhr.addEventListener('load', () => {
      let body = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status === 401 && token) window.dispatchEvent(new CustomEvent('sealdraw:expired'));
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body || { title: `HTTP ${xhr.status}` }));
    });
    xhr.send(blob);
  });
}
