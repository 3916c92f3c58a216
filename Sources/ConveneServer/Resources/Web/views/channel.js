// A channel: its latest messages, then live ones over the stream, with no gap and no repeat across
// reconnects (the stream resumes from the last seq it saw). Threads open under their first
// message; a divider marks where the unread part begins; who is online shows beside it; members
// flag, moderators hide.
import { api, nonce } from '../api.js';
import { h, show, fill, field, showError, clearError, announce, timeElement } from '../ui.js';

const REACTION = '👍';  // shown as "Like": emoji fonts are not everywhere
const MODERATORS = new Set(['moderator', 'lead', 'admin']);
const FLAG_REASONS = [['spam', 'Spam'], ['harassment', 'Harassment'], ['off_topic', 'Off topic'], ['privacy', "A student's personal data"], ['other', 'Other']];

export async function channelView(ctx, slug, channelID) {
  if (!ctx.me) {
    ctx.go(`/signin?next=/c/${slug}/ch/${channelID}`);
    return;
  }
  const [{ channels }, page, detail] = await Promise.all([
    api('GET', `/api/v1/communities/${slug}/channels`),
    api('GET', `/api/v1/channels/${channelID}/messages?limit=50`),
    api('GET', `/api/v1/communities/${slug}`),
  ]);
  const channel = channels.find((one) => one.id === channelID) ?? { name: String(channelID), topic: '' };
  const moderator = MODERATORS.has(detail.your_role);
  const log = h('ol', { id: 'messages', class: 'messages', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': `Messages in ${channel.name}` });
  const typing = h('p', { class: 'typing', 'aria-live': 'polite' });
  const online = h('ul', { id: 'presence', class: 'presence' });
  const rendered = new Map(); // message id → { item, message }
  const threads = new Map();  // root id → <ol> of its replies
  let lastSeq = 0;
  let divider = null;
  const readSeq = channel.read_seq ?? 0;

  function actions(message) {
    if (message.deleted) return null;
    const mine = message.author?.id === ctx.me.user.id;
    const count = (message.reactions || []).find((reaction) => reaction.emoji === REACTION);
    const bar = h('div', { class: 'message-actions' },
      h('button', {
        type: 'button', class: 'small', 'aria-pressed': String(!!count?.mine),
        onclick: () => ctx.stream.request({ op: 'react', message: message.id, emoji: REACTION, on: !count?.mine }).catch(() => {}),
      }, count ? `Like (${count.count})` : 'Like'),
      message.thread_id ? null : h('button', { type: 'button', class: 'small', onclick: () => openThread(message, true) }, 'Reply'),
      mine ? h('button', { type: 'button', class: 'small', onclick: () => editForm(message) }, 'Edit') : null,
      mine ? h('button', {
        type: 'button', class: 'small',
        onclick: () => ctx.stream.request({ op: 'delete', message: message.id }).catch((error) => announce(error.message)),
      }, 'Delete') : null,
      !mine ? h('button', { type: 'button', class: 'small', onclick: () => flagForm(message) }, 'Flag') : null,
      moderator && !mine ? h('button', { type: 'button', class: 'small', onclick: () => hide(message) }, 'Hide') : null);
    return bar;
  }

  function render(message) {
    const item = h('li', { class: 'message', 'data-id': message.id, 'data-seq': message.seq },
      h('p', { class: 'meta' }, h('strong', {}, message.author?.display_name ?? 'someone'), ' ', timeElement(message.created_at),
        message.edited_at ? h('span', { class: 'edited' }, ' (edited)') : null,
        message.pinned ? h('span', { class: 'badge' }, 'pinned') : null),
      message.deleted ? h('p', { class: 'deleted' }, 'This message was deleted.') : h('div', { class: 'body', html: message.body_html }),
      actions(message),
      h('div', { class: 'inline-form' }));
    if (!message.thread_id && message.reply_count > 0 && !threads.has(message.id)) {
      item.append(h('button', { type: 'button', class: 'link replies', onclick: () => openThread(message, false) },
        `${message.reply_count} ${message.reply_count === 1 ? 'reply' : 'replies'}`));
    }
    return item;
  }

  /** Opens a thread under its first message: its replies (those loaded) and a reply box. */
  function openThread(root, focus) {
    const entry = rendered.get(root.id);
    if (!entry) return;
    let list = threads.get(root.id);
    if (!list) {
      list = h('ol', { class: 'thread', 'aria-label': `Replies to ${root.author?.display_name ?? 'the message'}` });
      threads.set(root.id, list);
      for (const other of rendered.values()) if (other.message.thread_id === root.id) list.append(other.item);
      const box = h('textarea', { name: 'body', rows: 1 });
      const reply = h('form', { class: 'reply' }, field(`Reply to ${root.author?.display_name ?? 'the thread'}`, box), h('button', { type: 'submit' }, 'Send reply'));
      reply.addEventListener('submit', async (event) => {
        event.preventDefault();
        const body = box.value.trim();
        if (!body) return;
        box.value = '';
        try {
          await ctx.stream.request({ op: 'send', channel: channelID, body, nonce: nonce(), thread: root.id });
        } catch (error) {
          box.value = body;
          showError(reply, { message: error.message });
        }
      });
      entry.item.querySelector('.replies')?.remove();
      entry.item.append(list, reply);
    }
    if (focus) entry.item.querySelector('.reply textarea')?.focus();
  }

  /** Shows a message in its place (`live`: it just arrived, so a closed thread counts it). */
  function place(message, live = false) {
    if (message.hidden) {
      rendered.get(message.id)?.item.remove();
      rendered.delete(message.id);
      return;
    }
    const item = render(message);
    const existing = rendered.get(message.id);
    if (existing) {
      // Keep an open thread and its reply box with the message.
      for (const kept of existing.item.querySelectorAll(':scope > .thread, :scope > .reply')) item.append(kept);
      if (threads.has(message.id)) item.querySelector('.replies')?.remove();
      existing.item.replaceWith(item);
    } else if (message.thread_id && threads.has(message.thread_id)) {
      threads.get(message.thread_id).append(item);
    } else if (message.thread_id && rendered.has(message.thread_id)) {
      // A reply to a thread that is closed: kept for when it opens; a new one counts on its first message.
      rendered.set(message.id, { item, message });
      if (live) {
        const root = rendered.get(message.thread_id);
        root.message.reply_count = (root.message.reply_count ?? 0) + 1;
        place(root.message);
      }
      return;
    } else {
      if (!divider && message.seq > readSeq && readSeq > 0 && message.author?.id !== ctx.me.user.id) {
        divider = h('li', { class: 'unread-divider', role: 'separator' }, 'New messages');
        log.append(divider);
      }
      log.append(item);
    }
    rendered.set(message.id, { item, message });
  }

  function inlineForm(message, form) {
    const slot = rendered.get(message.id)?.item.querySelector(':scope > .inline-form');
    if (!slot) return;
    fill(slot, form);
    form.querySelector('textarea, select, input')?.focus();
  }

  function editForm(message) {
    const box = h('textarea', { name: 'body', rows: 2 });
    box.value = message.body;
    const form = h('form', {}, field('Edit your message', box), h('button', { type: 'submit' }, 'Save'),
      h('button', { type: 'button', class: 'link', onclick: () => fill(form.parentElement) }, 'Cancel'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        await ctx.stream.request({ op: 'edit', message: message.id, body: box.value, nonce: nonce() });
        fill(form.parentElement);
      } catch (error) {
        showError(form, { message: error.message, field: 'body' });
      }
    });
    inlineForm(message, form);
  }

  function flagForm(message) {
    const reason = h('select', { name: 'reason' }, ...FLAG_REASONS.map(([value, label]) => h('option', { value }, label)));
    const note = h('input', { name: 'note' });
    const form = h('form', {}, field('Why flag it?', reason), field('Note (needed for Other)', note), h('button', { type: 'submit' }, 'Send flag'),
      h('button', { type: 'button', class: 'link', onclick: () => fill(form.parentElement) }, 'Cancel'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearError(form);
      try {
        await api('POST', '/api/v1/flags', {
          target: { type: 'message', id: message.id }, reason: reason.value, note: note.value || undefined, community: slug,
        });
        fill(form.parentElement);
        announce('Thank you: the moderators will look at it.');
      } catch (error) {
        showError(form, error);
      }
    });
    inlineForm(message, form);
  }

  function hide(message) {
    const reason = h('input', { name: 'reason', required: true });
    const form = h('form', {}, field('Reason', reason), h('button', { type: 'submit' }, 'Hide message'),
      h('button', { type: 'button', class: 'link', onclick: () => fill(form.parentElement) }, 'Cancel'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearError(form);
      try {
        await api('POST', '/api/v1/moderation/actions', { action: 'hide', target: { type: 'message', id: message.id }, reason: reason.value });
        announce('The message is hidden.');
      } catch (error) {
        showError(form, error);
      }
    });
    inlineForm(message, form);
  }

  for (const message of page.messages) {
    place(message);
    lastSeq = Math.max(lastSeq, message.seq);
  }

  const input = h('textarea', { name: 'body', rows: 2, required: true });
  const composer = h('form', { class: 'composer' }, field(`Message #${channel.name}`, input), h('button', { type: 'submit' }, 'Send'));
  composer.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = input.value.trim();
    if (!body) return;
    clearError(composer);
    input.value = '';
    try {
      const reply = await ctx.stream.request({ op: 'send', channel: channelID, body, nonce: nonce() });
      if (reply.op === 'held') announce('Your message waits for a moderator.');
    } catch (error) {
      input.value = body;
      showError(composer, { message: error.message, field: error.field === 'body' ? 'body' : null });
    }
  });
  let lastTyping = 0;
  input.addEventListener('input', () => {
    const now = Date.now();
    if (now - lastTyping > 3000) {
      lastTyping = now;
      ctx.stream.raw({ op: 'typing', channel: channelID });
    }
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  const onEvent = (event) => {
    const frame = event.detail;
    if (frame.channel !== channelID) return;
    place(frame.data, frame.type === 'message.created');
    if (frame.type === 'message.created' && frame.data.author?.id !== ctx.me.user.id) announce(`${frame.data.author?.display_name}: ${frame.data.body}`);
    ctx.stream.raw({ op: 'read', channel: channelID, seq: frame.seq });
  };
  let typingTimer;
  const onTyping = (event) => {
    if (event.detail.channel !== channelID || event.detail.user === ctx.me.user.id) return;
    typing.textContent = `${event.detail.name} is typing…`;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { typing.textContent = ''; }, 4000);
  };
  // Who is online in the community: the whole list once, then each change.
  const people = new Map();
  function renderPresence() {
    fill(online, ...[...people.values()].sort((a, b) => a.name.localeCompare(b.name)).map((person) =>
      h('li', { 'data-user': person.user }, person.name, person.status === 'away' ? h('span', { class: 'away' }, ' (away)') : null)));
  }
  const onPresenceState = (event) => {
    if (event.detail.community !== detail.community.id) return;
    people.clear();
    for (const person of event.detail.users) people.set(person.user, person);
    renderPresence();
  };
  const onPresence = (event) => {
    const change = event.detail;
    if (change.community !== detail.community.id) return;
    if (change.status === 'offline') people.delete(change.user); else people.set(change.user, change);
    renderPresence();
  };
  const watch = () => ctx.stream.request({ op: 'watch_presence', community: detail.community.id }).catch(() => {});
  const onStatus = (event) => { if (event.detail === 'open') watch(); };
  ctx.stream.addEventListener('event', onEvent);
  ctx.stream.addEventListener('typing', onTyping);
  ctx.stream.addEventListener('presence_state', onPresenceState);
  ctx.stream.addEventListener('presence', onPresence);
  ctx.stream.addEventListener('status', onStatus);
  ctx.stream.subscribe(channelID, lastSeq);
  ctx.stream.raw({ op: 'read', channel: channelID, seq: lastSeq });
  watch();
  ctx.cleanup.push(() => {
    ctx.stream.removeEventListener('event', onEvent);
    ctx.stream.removeEventListener('typing', onTyping);
    ctx.stream.removeEventListener('presence_state', onPresenceState);
    ctx.stream.removeEventListener('presence', onPresence);
    ctx.stream.removeEventListener('status', onStatus);
    ctx.stream.unsubscribe(channelID);
    ctx.stream.raw({ op: 'unwatch_presence', community: detail.community.id });
    clearTimeout(typingTimer);
  });

  show(h('h1', {}, `# ${channel.name}`), channel.topic ? h('p', { class: 'topic' }, channel.topic) : null,
    h('p', {}, h('a', { href: `#/c/${slug}` }, `← Back to ${detail.community.name}`)),
    h('div', { class: 'channel-layout' },
      h('div', { class: 'channel-main' },
        page.has_more ? h('p', { class: 'hint' }, 'Older messages are not shown.') : null, log, typing, composer),
      h('aside', { 'aria-labelledby': 'online-heading', class: 'channel-side' }, h('h2', { id: 'online-heading' }, 'Online now'), online)));
  (divider ?? log.lastElementChild)?.scrollIntoView({ block: divider ? 'start' : 'end' });
}
