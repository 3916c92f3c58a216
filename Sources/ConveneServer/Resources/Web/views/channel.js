// A channel: its latest messages, then live ones over the stream, with no gap and no repeat across
// reconnects (the stream resumes from the last seq it saw).
import { api, nonce } from '../api.js';
import { h, show, field, showError, clearError, announce, timeElement } from '../ui.js';

const REACTION = '👍';  // shown as "Like": emoji fonts are not everywhere

export async function channelView(ctx, slug, channelID) {
  if (!ctx.me) {
    ctx.go(`/signin?next=/c/${slug}/ch/${channelID}`);
    return;
  }
  const [{ channels }, page] = await Promise.all([
    api('GET', `/api/v1/communities/${slug}/channels`),
    api('GET', `/api/v1/channels/${channelID}/messages?limit=50`),
  ]);
  const channel = channels.find((one) => one.id === channelID) ?? { name: String(channelID), topic: '' };
  const log = h('ol', { id: 'messages', class: 'messages', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': `Messages in ${channel.name}` });
  const typing = h('p', { class: 'typing', 'aria-live': 'polite' });
  const rendered = new Map(); // message id → li
  let lastSeq = 0;

  function render(message) {
    const mine = message.author?.id === ctx.me.user.id;
    const count = (message.reactions || []).find((reaction) => reaction.emoji === REACTION);
    const item = h('li', { class: 'message', 'data-id': message.id, 'data-seq': message.seq },
      h('p', { class: 'meta' }, h('strong', {}, message.author?.display_name ?? 'someone'), ' ', timeElement(message.created_at),
        message.edited_at ? h('span', { class: 'edited' }, ' (edited)') : null),
      message.deleted ? h('p', { class: 'deleted' }, 'This message was deleted.') : h('div', { class: 'body', html: message.body_html }),
      message.deleted ? null : h('div', { class: 'message-actions' },
        h('button', {
          type: 'button', class: 'small', 'aria-pressed': String(!!count?.mine),
          onclick: () => ctx.stream.request({ op: 'react', message: message.id, emoji: REACTION, on: !count?.mine }).catch(() => {}),
        }, count ? `Like (${count.count})` : 'Like'),
        mine ? h('button', { type: 'button', class: 'small', onclick: () => edit(message) }, 'Edit') : null,
        mine ? h('button', {
          type: 'button', class: 'small',
          onclick: () => { if (confirm('Delete this message?')) ctx.stream.request({ op: 'delete', message: message.id }).catch(() => {}); },
        }, 'Delete') : null));
    return item;
  }

  function place(message) {
    if (message.hidden) {
      rendered.get(message.id)?.remove();
      rendered.delete(message.id);
      return;
    }
    if (message.thread_id) return;  // thread replies live in their thread (not shown in this view yet)
    const item = render(message);
    const existing = rendered.get(message.id);
    if (existing) existing.replaceWith(item);
    else log.append(item);
    rendered.set(message.id, item);
  }

  function edit(message) {
    const text = prompt('Edit your message', message.body);
    if (text !== null && text !== message.body) {
      ctx.stream.request({ op: 'edit', message: message.id, body: text, nonce: nonce() }).catch((error) => alert(error.message));
    }
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
    place(frame.data);
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
  ctx.stream.addEventListener('event', onEvent);
  ctx.stream.addEventListener('typing', onTyping);
  ctx.stream.subscribe(channelID, lastSeq);
  ctx.stream.raw({ op: 'read', channel: channelID, seq: lastSeq });
  ctx.cleanup.push(() => {
    ctx.stream.removeEventListener('event', onEvent);
    ctx.stream.removeEventListener('typing', onTyping);
    ctx.stream.unsubscribe(channelID);
    clearTimeout(typingTimer);
  });

  show(h('h1', {}, `# ${channel.name}`), channel.topic ? h('p', { class: 'topic' }, channel.topic) : null,
    h('p', {}, h('a', { href: `#/c/${slug}` }, '← Back to the community')),
    page.has_more ? h('p', { class: 'hint' }, 'Older messages are not shown.') : null, log, typing, composer);
  log.lastElementChild?.scrollIntoView({ block: 'end' });
}
