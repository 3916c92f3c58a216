// Small DOM helpers: elements are built, never assembled from strings (only the server's
// rendered `body_html` is inserted as HTML).
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else if (key === 'class') element.className = value;
    else if (key === 'html') element.innerHTML = value;
    else if (value === true) element.setAttribute(key, '');
    else element.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces an element's children, leaving out the null, undefined and false ones. */
export function fill(element, ...children) {
  element.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** Replaces the main region's content and moves focus to its heading (for keyboard and screen-reader users). */
export function show(...children) {
  const main = fill(document.getElementById('main'), ...children);
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
    document.title = `${heading.textContent} — Convene`;
  }
  return main;
}

/** A time in the viewer's own time zone. */
export function when(iso, options = { dateStyle: 'medium', timeStyle: 'short' }) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(undefined, options).format(new Date(iso));
}

export function timeElement(iso, options) {
  return h('time', { datetime: iso }, when(iso, options));
}

/** A labelled form field. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint' }, hint) : null);
}

/** Shows an API error next to a form: the message, and the field it names highlighted. */
export function showError(form, error) {
  let box = form.querySelector('.error');
  if (!box) {
    box = h('p', { class: 'error', role: 'alert' });
    form.prepend(box);
  }
  box.textContent = error.message;
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  if (error.field) {
    const input = form.querySelector(`[name="${CSS.escape(error.field)}"]`);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  }
}

export function clearError(form) {
  form.querySelector('.error')?.remove();
}

/** A polite live region for announcements to screen readers. */
export function announce(text) {
  const region = document.getElementById('announcer');
  if (region) {
    region.textContent = '';
    setTimeout(() => { region.textContent = text; }, 50);
  }
}

export function link(href, text, attributes = {}) {
  return h('a', { href, ...attributes }, text);
}
