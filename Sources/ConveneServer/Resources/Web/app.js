// The web client: a hash router over views, the signed-in user, and one live stream.
import { api, setCSRF } from './api.js';
import { h, show } from './ui.js';
import { Stream } from './stream.js';
import { signInView, registerView } from './views/auth.js';
import { homeView, statusView } from './views/home.js';
import { communityView } from './views/community.js';
import { channelView } from './views/channel.js';
import { forumView, askView, questionView } from './views/forum.js';
import { callsView, roomView } from './views/calls.js';
import { moderationView, auditView, sanctionsView, appealView } from './views/moderation.js';

export const ctx = {
  me: null,
  stream: null,
  /** Called by a view to stop what it started (subscriptions, listeners) when another view replaces it. */
  cleanup: [],
  go(path) { location.hash = path; },
  async refreshMe() {
    try {
      const me = await api('GET', '/api/v1/me');
      ctx.me = me;
      setCSRF(me.csrf_token);
    } catch (_) {
      ctx.me = null;
      setCSRF(null);
    }
    renderAccount();
    if (ctx.me && !ctx.stream) startStream();
    if (!ctx.me && ctx.stream) { ctx.stream.close(); ctx.stream = null; }
  },
};

const routes = [
  [/^\/$/, () => homeView(ctx)],
  [/^\/status$/, () => statusView(ctx)],
  [/^\/signin$/, () => signInView(ctx)],
  [/^\/register$/, () => registerView(ctx)],
  [/^\/c\/([a-z0-9-]+)$/, (slug) => communityView(ctx, slug)],
  [/^\/c\/([a-z0-9-]+)\/ch\/(\d+)$/, (slug, id) => channelView(ctx, slug, Number(id))],
  [/^\/c\/([a-z0-9-]+)\/forum$/, (slug) => forumView(ctx, slug)],
  [/^\/c\/([a-z0-9-]+)\/ask$/, (slug) => askView(ctx, slug)],
  [/^\/q\/(\d+)$/, (id) => questionView(ctx, Number(id))],
  [/^\/c\/([a-z0-9-]+)\/calls$/, (slug) => callsView(ctx, slug)],
  [/^\/room\/([0-9]+-[0-9T]+)$/, (occurrence) => roomView(ctx, occurrence)],
  [/^\/c\/([a-z0-9-]+)\/moderation$/, (slug) => moderationView(ctx, slug)],
  [/^\/c\/([a-z0-9-]+)\/audit$/, (slug) => auditView(ctx, slug)],
  [/^\/me\/sanctions$/, () => sanctionsView(ctx)],
  [/^\/appeals\/(\d+)$/, (id) => appealView(ctx, Number(id))],
];

async function route() {
  for (const stop of ctx.cleanup.splice(0)) {
    try { stop(); } catch (_) { /* the view is gone either way */ }
  }
  const raw = location.hash.replace(/^#/, '') || (location.pathname === '/status' ? '/status' : '/');
  const [path, query] = raw.split('?');
  ctx.query = new URLSearchParams(query || '');
  for (const [pattern, view] of routes) {
    const match = path.match(pattern);
    if (match) {
      try {
        await view(...match.slice(1));
      } catch (error) {
        show(h('h1', {}, 'Something went wrong'), h('p', { role: 'alert' }, error.message || String(error)));
      }
      return;
    }
  }
  show(h('h1', {}, 'Not found'), h('p', {}, 'There is no such page. '), h('a', { href: '#/' }, 'Go to the network'));
}

function renderAccount() {
  const nav = document.getElementById('account');
  if (ctx.me) {
    nav.replaceChildren(
      h('span', { class: 'who' }, ctx.me.user.display_name),
      h('a', { href: '#/me/sanctions' }, 'Your standing'),
      h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'));
  } else {
    nav.replaceChildren(h('a', { href: '#/signin' }, 'Sign in'), ' ', h('a', { href: '#/register' }, 'Register'));
  }
}

async function signOut() {
  try { await api('POST', '/api/v1/auth/logout'); } catch (_) { /* signed out either way */ }
  await ctx.refreshMe();
  ctx.go('/');
}

function startStream() {
  ctx.stream = new Stream();
  const line = document.getElementById('connection');
  ctx.stream.addEventListener('status', (event) => {
    const texts = { open: '', reconnecting: 'Reconnecting…', offline: 'Offline — waiting for the network…', connecting: 'Connecting…' };
    line.textContent = texts[event.detail] ?? '';
    line.dataset.status = event.detail;
  });
}

window.addEventListener('hashchange', route);
await ctx.refreshMe();
await route();
