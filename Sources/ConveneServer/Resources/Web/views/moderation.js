// Moderation screens: a community's review queue, held messages and watched words (its
// moderators); its audit log (its leads); a member's own standing with appeals; one appeal with,
// for a moderator of its scope, the decision.
import { api } from '../api.js';
import { h, show, field, showError, clearError, announce, timeElement, link, fill } from '../ui.js';

const ROLES = ['guest', 'member', 'facilitator', 'moderator', 'lead', 'admin'];
const STATES = [['open', 'Open'], ['resolved', 'Resolved'], ['rejected', 'Rejected']];
const FLAG_REASONS = { spam: 'Spam', harassment: 'Harassment', off_topic: 'Off topic', privacy: 'Privacy', other: 'Other' };
const WORD_ACTIONS = [
  ['block', 'Block — refuse the message'],
  ['censor', 'Censor — replace the word with ■ marks'],
  ['flag', 'Flag — post it and put it in the review queue'],
  ['approve', 'Approve — hold it until a moderator approves it'],
];
const SANCTIONS = { warn: 'Warning', silence: 'Silence', suspend: 'Suspension' };
const OUTCOMES = [['', 'Choose an outcome'], ['upheld', 'Upheld — the action stands'], ['overturned', 'Overturned — undo the action']];
const REASON_MAX = 1000;
const APPEAL_MAX = 2000;

function plural(count, word, many = `${word}s`) {
  return `${count} ${count === 1 ? word : many}`;
}

/** A `<select>` of `[value, text]` options with `chosen` selected. */
function select(name, options, chosen) {
  return h('select', { name }, ...options.map(([value, text]) => h('option', { value, selected: value === chosen }, text)));
}

function allowed(value, options) {
  return options.some(([option]) => option === value) ? value : options[0][0];
}

/** Sends a signed-out visitor to sign in first; true when it did. */
function signInFirst(ctx, path) {
  if (ctx.me) return false;
  ctx.go(`/signin?next=${path}`);
  return true;
}

/** A page that could not be shown: its heading and the server's message. */
function refused(title, error, ...extra) {
  show(h('h1', {}, title), ...extra, h('p', { class: 'error', role: 'alert' }, error.message || String(error)));
}

/** The community, or a "not found" page (null) when there is none. */
async function communityOrNothing(slug) {
  try {
    return await api('GET', `/api/v1/communities/${encodeURIComponent(slug)}`);
  } catch (error) {
    if (error.status === 404) {
      show(h('h1', {}, 'Community not found'), h('p', {}, error.message), h('p', {}, link('#/', 'Go to the network')));
      return null;
    }
    throw error;
  }
}

/** Turns `datetime-local` text (the viewer's zone) into an ISO time, or an error for the form. */
function untilFrom(value) {
  if (!value) return { iso: undefined };
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return { error: { message: 'That end time is not a date and time.', field: 'until' } };
  if (date <= new Date()) return { error: { message: 'Choose an end time in the future, or leave it empty.', field: 'until' } };
  return { iso: date.toISOString() };
}

/** Removes and inserts children so `element` holds `nodes` in order, leaving kept nodes (and their focus) in place. */
function reconcile(element, nodes) {
  const wanted = new Set(nodes);
  for (const child of [...element.children]) if (!wanted.has(child)) child.remove();
  nodes.forEach((node, index) => {
    const current = element.children[index];
    if (current !== node) element.insertBefore(node, current ?? null);
  });
}

/**
 * Asks for a reason in place of the buttons in `box` (no dialogs): an input named `reason`
 * labelled "Reason", for silence and suspend an optional "Until", a submit button named after
 * the action and Cancel. `perform(reason, until)` does the work; the caller redraws on success.
 */
function askReason(box, { title, submit, until = false, hint, perform }) {
  const saved = [...box.childNodes];
  const reason = h('input', { name: 'reason', required: true, maxlength: REASON_MAX, autocomplete: 'off' });
  const untilInput = until ? h('input', { type: 'datetime-local', name: 'until' }) : null;
  const go = h('button', { type: 'submit' }, submit);
  const cancel = h('button', { type: 'button', class: 'small', onclick: () => close() }, 'Cancel');
  const form = h('form', { class: 'inline-form reason-form', novalidate: true, 'aria-label': title },
    h('p', { class: 'hint' }, title),
    field('Reason', reason, hint ?? 'Kept in the audit log with the action.'),
    untilInput ? field('Until', untilInput, 'Optional, in your time zone. Leave it empty to hold until lifted.') : null,
    h('div', { class: 'actions' }, go, cancel));

  function close() {
    fill(box, ...saved);
    const again = [...box.querySelectorAll('button')].find((button) => button.textContent === submit);
    (again ?? box.querySelector('button'))?.focus();
  }

  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      close();
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError(form);
    const text = reason.value.trim();
    if (!text) return showError(form, { message: 'Give a reason: it is kept in the audit log.', field: 'reason' });
    const end = untilInput ? untilFrom(untilInput.value) : { iso: undefined };
    if (end.error) return showError(form, end.error);
    go.disabled = true;
    cancel.disabled = true;
    try {
      await perform(text, end.iso);
      if (form.isConnected) close();  // done, but the item could not be read again: put the buttons back
    } catch (error) {
      if (form.isConnected) {
        showError(form, error);
        go.disabled = false;
        cancel.disabled = false;
      }
    }
    return undefined;
  });
  fill(box, form);
  reason.focus();
}

/** Message ids → `#/c/…/ch/…` links need channel names; best effort. */
async function channelNames(slug) {
  try {
    const { channels } = await api('GET', `/api/v1/communities/${encodeURIComponent(slug)}/channels`);
    return new Map(channels.map((channel) => [channel.id, channel.name]));
  } catch (_) {
    return new Map();
  }
}

/** User ids → display names of a community's members (for the audit log); best effort, a few pages. */
async function memberNames(slug) {
  const names = new Map();
  let after = 0;
  try {
    for (let page = 0; page < 10; page += 1) {
      const result = await api('GET', `/api/v1/communities/${encodeURIComponent(slug)}/members?limit=200&after=${after}`);
      for (const member of result.members) names.set(member.user.id, member.user.display_name);
      if (result.next_after === undefined || result.next_after === null || !result.members.length) break;
      after = result.next_after;
    }
  } catch (_) { /* names are a nicety: ids are shown instead */ }
  return names;
}

function roleAtLeast(role, wanted) {
  return ROLES.indexOf(role ?? 'guest') >= ROLES.indexOf(wanted);
}

// ---------------------------------------------------------------------------------------------
// The review queue, held messages and watched words of one community.

export async function moderationView(ctx, slug) {
  if (signInFirst(ctx, `/c/${slug}/moderation`)) return;
  const detail = await communityOrNothing(slug);
  if (!detail) return;
  const { community } = detail;
  const me = ctx.me.user;
  const title = `Moderation — ${community.name}`;
  const back = h('p', {}, link(`#/c/${slug}`, `← Back to ${community.name}`));

  const state = select('state', STATES, allowed(ctx.query?.get('state'), STATES));
  let first;
  try {
    first = await api('GET', `/api/v1/moderation/queue?${new URLSearchParams({ community: slug, state: state.value })}`);
  } catch (error) {
    if (error.status === 401) return void ctx.go(`/signin?next=/c/${slug}/moderation`);
    return void refused(title, error, back);
  }

  let gone = false;
  let ownActionAt = 0;  // a live echo of one's own action is not announced again
  const stream = ctx.stream;
  const listeners = [];
  let liveTimer = null;
  ctx.cleanup.push(() => {
    gone = true;
    clearTimeout(liveTimer);
    for (const [name, handler] of listeners) stream?.removeEventListener(name, handler);
  });
  const channels = await channelNames(slug);

  // --- the queue -----------------------------------------------------------------------------
  const queueHeading = h('h2', { id: 'queue-heading', tabindex: '-1' }, 'Review queue');
  const filters = h('form', { class: 'actions filters', role: 'search', 'aria-label': 'Choose review items' }, field('Show', state));
  filters.addEventListener('submit', (event) => event.preventDefault());
  const list = h('div', { id: 'review-items', class: 'review-list' });
  const summary = h('p', { class: 'hint', role: 'status' });
  const more = h('button', { type: 'button', class: 'small', onclick: () => loadQueue(true) }, 'More items');
  const moreBox = h('div', { hidden: true }, more);
  let nextOffset = null;
  let generation = 0;
  const articles = new Map();  // item id → article

  function itemHeading(entry) {
    const { item } = entry;
    if (item.target_type === 'message') {
      const author = entry.message?.author?.display_name ?? 'someone';
      const channel = entry.message ? channels.get(entry.message.channel_id) : null;
      return `Message by ${author}${channel ? ` in #${channel}` : ''}`;
    }
    if (item.target_type === 'user') return `Member ${entry.user?.display_name ?? `#${item.target_id}`}`;
    if (item.target_type === 'question') return `Question: ${entry.question?.title ?? `#${item.target_id}`}`;
    if (item.target_type === 'answer') return `Answer to: ${entry.question?.title ?? `question #${entry.answer?.question_id ?? '?'}`}`;
    return `${item.target_type} #${item.target_id}`;
  }

  function messageItem(message, flagged) {
    const body = message.deleted
      ? h('p', { class: 'deleted' }, 'This message was deleted.')
      : h('div', { class: 'body', html: message.body_html });
    return h('li', { class: flagged ? 'message flagged' : 'message', 'data-id': message.id, 'aria-current': flagged ? 'true' : null },
      h('p', { class: 'meta' },
        flagged ? h('strong', { class: 'flagged-label' }, 'Flagged: ') : null,
        h('strong', {}, message.author?.display_name ?? 'someone'), ' ', timeElement(message.created_at),
        message.edited_at ? h('span', { class: 'edited' }, ' (edited)') : null,
        message.hidden ? [' ', h('span', { class: 'badge hidden-post' }, 'Hidden')] : null,
        message.pinned ? [' ', h('span', { class: 'badge' }, 'Pinned')] : null),
      body);
  }

  function targetBlock(entry) {
    const { item } = entry;
    if (item.target_type === 'message') {
      const { message } = entry;
      if (!message) return h('p', { class: 'hint' }, 'The message is no longer there.');
      const context = entry.context ?? [];
      const before = context.filter((one) => one.seq < message.seq);
      const after = context.filter((one) => one.seq > message.seq);
      const channel = channels.get(message.channel_id);
      return h('div', { class: 'flagged-target' },
        h('ol', { class: 'messages context', 'aria-label': 'The flagged message with the messages around it' },
          ...before.map((one) => messageItem(one, false)), messageItem(message, true), ...after.map((one) => messageItem(one, false))),
        h('p', { class: 'hint' }, link(`#/c/${slug}/ch/${message.channel_id}`, channel ? `Open #${channel}` : 'Open the channel')));
    }
    if (item.target_type === 'user') {
      return h('p', { class: 'flagged-member' }, 'Flagged member: ', h('strong', {}, entry.user?.display_name ?? `#${item.target_id}`));
    }
    if (item.target_type === 'question' || item.target_type === 'answer') {
      const post = item.target_type === 'question' ? entry.question : entry.answer;
      if (!post) return h('p', { class: 'hint' }, `The ${item.target_type} is no longer there.`);
      const questionID = item.target_type === 'question' ? post.id : post.question_id;
      return h('div', { class: 'flagged-target' },
        h('p', { class: 'meta' }, h('strong', {}, post.author?.display_name ?? 'someone'), ' ', timeElement(post.created_at),
          post.hidden ? [' ', h('span', { class: 'badge hidden-post' }, 'Hidden')] : null),
        h('div', { class: 'body', html: post.body_html }),
        h('p', { class: 'hint' }, link(`#/q/${questionID}`, 'Open the question')));
    }
    return null;
  }

  function stateLine(item) {
    const parts = [h('span', { class: `badge state-${item.state}` }, STATES.find(([value]) => value === item.state)?.[1] ?? item.state)];
    if (item.settled_at) parts.push(' settled ', timeElement(item.settled_at));
    parts.push(' · opened ', timeElement(item.created_at), ' · ', plural(item.flag_count, 'flag'));
    if (item.state === 'open') {
      if (item.assignee_id === undefined || item.assignee_id === null) parts.push(' · not assigned');
      else if (item.assignee_id === me.id) parts.push(' · ', h('strong', {}, 'assigned to you'));
      else parts.push(` · assigned to moderator #${item.assignee_id}`);
    }
    return h('p', { class: 'hint item-state' }, ...parts);
  }

  function reasonsBlock(entry) {
    const counts = Object.entries(entry.reasons ?? {});
    if (!counts.length) return null;
    return h('ul', { class: 'tags flag-reasons', 'aria-label': 'Flags by reason' },
      ...counts.map(([reason, count]) => h('li', { 'data-reason': reason },
        h('span', { class: reason === 'privacy' ? 'badge privacy' : 'badge' }, `${FLAG_REASONS[reason] ?? reason}: ${count}`))));
  }

  function flagsBlock(entry) {
    if (!entry.flags?.length) return null;
    return h('details', { class: 'flags' }, h('summary', {}, `Who flagged it (${entry.flags.length})`),
      h('ul', {}, ...entry.flags.map((flag) => h('li', {},
        h('strong', {}, flag.user_name), ` — ${FLAG_REASONS[flag.reason] ?? flag.reason}`,
        flag.note ? [': ', h('q', {}, flag.note)] : null, ' ', timeElement(flag.created_at)))));
  }

  function reviewArticle(entry) {
    const { item } = entry;
    const headingID = `review-${item.id}-heading`;
    const errors = h('div', { class: 'item-errors' });
    const controls = h('div', { class: 'actions review-actions' });
    const article = h('article', {
      class: 'review-item', 'data-id': item.id, 'data-state': item.state, 'data-target': item.target_type,
      'data-escalated': String(!!item.escalated), 'aria-labelledby': headingID,
    },
      h('h3', { id: headingID, tabindex: '-1' }, itemHeading(entry)),
      item.escalated ? h('p', { class: 'notice escalated' }, h('strong', {}, 'Escalated — privacy. '),
        'A flag says this shares someone\'s personal data (a student\'s, perhaps); the community\'s leads were alerted.') : null,
      stateLine(item),
      item.watched_word ? h('p', { class: 'hint' }, 'Put here by the watched word ', h('q', {}, item.watched_word), '.') : null,
      reasonsBlock(entry),
      flagsBlock(entry),
      targetBlock(entry),
      errors,
      controls);

    /** An action with a reason, then the item read again. */
    const withReason = (spec, body, said) => () => askReason(controls, {
      ...spec,
      perform: async (reason, until) => {
        ownActionAt = Date.now();
        await api('POST', '/api/v1/moderation/actions', { ...body, reason, ...(until ? { until } : {}) });
        announce(typeof said === 'function' ? said(until) : said);
        await refreshItem(item.id, true);
      },
    });
    const button = (text, onclick) => h('button', { type: 'button', class: 'small', onclick }, text);

    const buttons = [];
    if (item.target_type === 'message' && entry.message && !entry.message.deleted) {
      const target = { type: 'message', id: entry.message.id };
      if (entry.message.hidden) {
        buttons.push(button('Show message', withReason({ title: 'Show the message to readers again', submit: 'Show message' },
          { action: 'unhide', target }, 'The message is shown again.')));
      } else {
        buttons.push(button('Hide message', withReason({ title: 'Hide the message from readers (it keeps its place)', submit: 'Hide message' },
          { action: 'hide', target }, 'The message is hidden.')));
      }
      buttons.push(button('Delete message', withReason({ title: 'Delete the message (this cannot be undone or appealed)', submit: 'Delete message' },
        { action: 'delete', target }, 'The message was deleted.')));
    }
    if ((item.target_type === 'question' || item.target_type === 'answer') && (entry[item.target_type])) {
      const kind = item.target_type;
      const target = { type: kind, id: entry[kind].id };
      if (entry[kind].hidden) {
        buttons.push(button(`Show ${kind}`, withReason({ title: `Show the ${kind} again`, submit: `Show ${kind}` },
          { action: 'unhide', target }, `The ${kind} is shown again.`)));
      } else {
        buttons.push(button(`Hide ${kind}`, withReason({ title: `Hide the ${kind}`, submit: `Hide ${kind}` },
          { action: 'hide', target }, `The ${kind} is hidden.`)));
      }
    }
    if (item.target_type === 'user') {
      const name = entry.user?.display_name ?? `member #${item.target_id}`;
      const target = { type: 'user', id: item.target_id };
      const ending = (until) => (until ? ` until ${new Date(until).toLocaleString()}` : ' until lifted');
      buttons.push(
        button('Warn', withReason({ title: `Warn ${name} (recorded and shown to them)`, submit: 'Warn' },
          { action: 'warn', target, community: slug }, `${name} was warned.`)),
        button('Silence', withReason({ title: `Silence ${name} in ${community.name} (read-only)`, submit: 'Silence', until: true },
          { action: 'silence', target, community: slug }, (until) => `${name} is silenced${ending(until)}.`)),
        button('Suspend', withReason({ title: `Suspend ${name} from ${community.name}`, submit: 'Suspend', until: true },
          { action: 'suspend', target, community: slug }, (until) => `${name} is suspended${ending(until)}.`)));
    }
    if (item.state === 'open') {
      const target = { type: 'review_item', id: item.id };
      buttons.push(
        button('Resolve', withReason({ title: 'Resolve: the flags were right', submit: 'Resolve' },
          { action: 'resolve_flag', target, outcome: 'resolved' }, 'The item is resolved.')),
        button('Reject flags', withReason({ title: 'Reject the flags: they were not right (a message they hid is shown again)', submit: 'Reject flags' },
          { action: 'resolve_flag', target, outcome: 'rejected' }, 'The flags were rejected.')));
      const mine = item.assignee_id === me.id;
      buttons.push(button(mine ? 'Unassign' : 'Assign to me', async (event) => {
        const pressed = event.currentTarget;
        clearError(errors);
        pressed.disabled = true;
        try {
          ownActionAt = Date.now();
          await api('POST', `/api/v1/moderation/queue/${item.id}/assign`, { user_id: mine ? null : me.id });
          announce(mine ? 'The item is no longer assigned to you.' : 'The item is assigned to you.');
          await refreshItem(item.id, true);
        } catch (error) {
          pressed.disabled = false;
          showError(errors, error);
        }
      }));
    }
    if (buttons.length) fill(controls, ...buttons);
    else controls.remove();
    return article;
  }

  /** Reads one item again and draws it in place; focus goes to its heading when `focus`. */
  async function refreshItem(id, focus) {
    const old = articles.get(id);
    try {
      const entry = await api('GET', `/api/v1/moderation/queue/${id}`);
      if (gone) return;
      const fresh = reviewArticle(entry);
      articles.set(id, fresh);
      if (old?.isConnected) old.replaceWith(fresh);
      if (focus) fresh.querySelector('h3')?.focus();
    } catch (error) {
      if (gone) return;
      if (old?.isConnected) {
        const errors = old.querySelector('.item-errors');
        if (errors) showError(errors, error);
      }
    }
  }

  function draw(page, append) {
    const entries = page.items ?? [];
    const nodes = entries.map((entry) => {
      const kept = articles.get(entry.item.id);
      // An item whose reason form is open stays as it is (a live update must not eat what is typed).
      if (kept?.isConnected && kept.querySelector('form.reason-form')) return kept;
      const article = reviewArticle(entry);
      articles.set(entry.item.id, article);
      return article;
    });
    if (append) {
      list.querySelector('.empty')?.remove();
      list.append(...nodes.filter((node) => !node.isConnected));
      nodes[0]?.querySelector('h3')?.focus();
    } else {
      const shown = new Set(nodes);
      for (const [id, article] of articles) if (!shown.has(article)) articles.delete(id);
      reconcile(list, nodes.length ? nodes : [h('p', { class: 'empty' }, `No ${state.value} items.`)]);
    }
    nextOffset = page.next_offset ?? null;
    moreBox.hidden = nextOffset === null;
    summary.textContent = `${plural(list.querySelectorAll('.review-item').length, `${state.value} item`)} shown.`;
  }

  async function loadQueue(append) {
    const mine = ++generation;
    const query = new URLSearchParams({ community: slug, state: state.value });
    if (append && nextOffset !== null) query.set('offset', String(nextOffset));
    list.setAttribute('aria-busy', 'true');
    try {
      const page = await api('GET', `/api/v1/moderation/queue?${query}`);
      if (gone || mine !== generation) return;
      draw(page, append);
    } catch (error) {
      if (!gone && mine === generation) {
        summary.textContent = '';
        showError(list, error);
      }
    } finally {
      if (mine === generation) list.removeAttribute('aria-busy');
    }
  }

  state.addEventListener('change', () => {
    history.replaceState(null, '', `#/c/${slug}/moderation?${new URLSearchParams({ state: state.value })}`);
    loadQueue(false);
  });

  // --- held messages ---------------------------------------------------------------------------
  const heldHeading = h('h2', { id: 'held-heading', tabindex: '-1' }, 'Held messages');
  const heldList = h('div', { id: 'held-messages', class: 'held-list' });
  const heldStatus = h('p', { class: 'hint', role: 'status' });
  const heldMore = h('button', { type: 'button', class: 'small', onclick: () => loadHeld(true) }, 'More held messages');
  const heldMoreBox = h('div', { hidden: true }, heldMore);
  let heldOffset = null;

  function heldArticle(pending) {
    const headingID = `held-${pending.id}-heading`;
    const controls = h('div', { class: 'actions held-actions' });
    const channel = channels.get(pending.channel_id);
    const decide = (action, submit, title, said) => () => askReason(controls, {
      title,
      submit,
      perform: async (reason) => {
        ownActionAt = Date.now();
        await api('POST', '/api/v1/moderation/actions', { action, target: { type: 'pending_message', id: pending.id }, reason });
        announce(said);
        await loadHeld(false);
        heldHeading.focus();
      },
    });
    fill(controls,
      h('button', { type: 'button', class: 'small', onclick: decide('approve', 'Approve', `Approve and post the message from ${pending.author_name}`, 'The held message was approved and posted.') }, 'Approve'),
      h('button', { type: 'button', class: 'small', onclick: decide('reject', 'Reject', `Reject the message from ${pending.author_name} (it is never posted)`, 'The held message was rejected.') }, 'Reject'));
    return h('article', { class: 'held-message', 'data-id': pending.id, 'aria-labelledby': headingID },
      h('h3', { id: headingID }, `From ${pending.author_name}`),
      h('p', { class: 'hint' },
        channel ? ['In ', link(`#/c/${slug}/ch/${pending.channel_id}`, `#${channel}`), ' · '] : null,
        'sent ', timeElement(pending.created_at),
        pending.watched_word ? [' · held by the watched word ', h('q', {}, pending.watched_word)] : null),
      h('blockquote', { class: 'held-body' }, ...pending.body.split('\n').flatMap((line, index) => (index ? [h('br'), line] : [line]))),
      pending.state === 'open' ? controls : null);
  }

  async function loadHeld(append) {
    const query = new URLSearchParams({ community: slug });
    if (append && heldOffset !== null) query.set('offset', String(heldOffset));
    try {
      const page = await api('GET', `/api/v1/moderation/pending?${query}`);
      if (gone) return;
      const items = page.pending.map(heldArticle);
      if (append) {
        heldList.append(...items);
      } else {
        fill(heldList, ...(items.length ? items : [h('p', { class: 'empty' }, 'No messages are waiting for approval.')]));
      }
      heldOffset = page.next_offset ?? null;
      heldMoreBox.hidden = heldOffset === null;
      heldStatus.textContent = `${plural(heldList.querySelectorAll('.held-message').length, 'held message')} waiting.`;
    } catch (error) {
      if (!gone) showError(heldList, error);
    }
  }

  // --- watched words ---------------------------------------------------------------------------
  const wordsHeading = h('h2', { id: 'words-heading', tabindex: '-1' }, 'Watched words');
  const wordsList = h('div', { id: 'watched-words' });
  const word = h('input', { name: 'word', required: true, maxlength: 100, autocomplete: 'off' });
  const wordAction = select('action', WORD_ACTIONS, 'flag');
  const addForm = h('form', { class: 'watch-word', novalidate: true, 'aria-label': 'Watch a word' },
    field('Word or phrase', word, 'Letters, digits, spaces, \' - . and * (any letters within a word: bet* matches "betting"). Matched whole, ignoring case.'),
    field('Action', wordAction),
    h('button', { type: 'submit' }, 'Add word'));

  async function loadWords() {
    try {
      const { watched_words: words } = await api('GET', `/api/v1/communities/${encodeURIComponent(slug)}/watched-words`);
      if (gone) return;
      if (!words.length) return void fill(wordsList, h('p', { class: 'empty' }, 'No watched words yet.'));
      fill(wordsList, h('ul', { class: 'watched-words' }, ...words.map((one) => {
        const errorBox = h('span', { class: 'item-errors' });
        return h('li', { 'data-id': one.id, 'data-action': one.action },
          h('strong', { class: 'word' }, one.word), ' — ', WORD_ACTIONS.find(([value]) => value === one.action)?.[1] ?? one.action, ' ',
          h('button', {
            type: 'button', class: 'small', 'aria-label': `Remove “${one.word}”`,
            onclick: async (event) => {
              const removeButton = event.currentTarget;
              removeButton.disabled = true;
              try {
                ownActionAt = Date.now();
                await api('DELETE', `/api/v1/communities/${encodeURIComponent(slug)}/watched-words/${one.id}`);
                announce(`“${one.word}” is no longer watched.`);
                await loadWords();
                wordsHeading.focus();
              } catch (error) {
                removeButton.disabled = false;
                showError(errorBox, error);
              }
            },
          }, 'Remove'), errorBox);
      })));
    } catch (error) {
      if (!gone) fill(wordsList, h('p', { class: 'error', role: 'alert' }, error.message));
    }
    return undefined;
  }

  addForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError(addForm);
    const text = word.value.trim();
    if (!text) return showError(addForm, { message: 'Give the word or phrase to watch.', field: 'word' });
    const submit = addForm.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      ownActionAt = Date.now();
      const { watched_word: added } = await api('POST', `/api/v1/communities/${encodeURIComponent(slug)}/watched-words`, { word: text, action: wordAction.value });
      word.value = '';
      for (const input of addForm.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
      announce(`Now watching “${added.word}” (${added.action}).`);
      await loadWords();
      word.focus();
    } catch (error) {
      showError(addForm, error);
    } finally {
      submit.disabled = false;
    }
    return undefined;
  });

  // --- the page --------------------------------------------------------------------------------
  const links = roleAtLeast(detail.your_role, 'lead') ? h('p', {}, link(`#/c/${slug}/audit`, 'Audit log')) : null;
  show(h('h1', {}, title), back, links,
    h('section', { class: 'review-queue', 'aria-labelledby': 'queue-heading' }, queueHeading, filters, summary, list, moreBox),
    h('section', { class: 'held', 'aria-labelledby': 'held-heading' }, heldHeading,
      h('p', { class: 'hint' }, 'Messages a watched word held: nobody else sees them until approved.'), heldStatus, heldList, heldMoreBox),
    h('section', { class: 'words', 'aria-labelledby': 'words-heading' }, wordsHeading, wordsList, addForm));
  draw(first, false);
  await Promise.all([loadHeld(false), loadWords()]);

  // --- live ------------------------------------------------------------------------------------
  if (!stream || gone) return;
  const onItem = (event) => {
    const item = event.detail?.item;
    if (!item || item.community_id !== community.id) return;
    if (Date.now() - ownActionAt > 2000) {
      announce(item.escalated ? 'An escalated item came into the review queue.' : 'The review queue changed.');
    }
    clearTimeout(liveTimer);
    liveTimer = setTimeout(() => loadQueue(false), 100);
  };
  const onStatus = (event) => {
    // After a reconnect, frames may have been missed: read again.
    if (event.detail === 'open') {
      clearTimeout(liveTimer);
      liveTimer = setTimeout(() => { loadQueue(false); loadHeld(false); }, 100);
    }
  };
  stream.addEventListener('review_item', onItem);
  stream.addEventListener('status', onStatus);
  listeners.push(['review_item', onItem], ['status', onStatus]);
}

// ---------------------------------------------------------------------------------------------
// The audit log of one community.

export async function auditView(ctx, slug) {
  if (signInFirst(ctx, `/c/${slug}/audit`)) return;
  const detail = await communityOrNothing(slug);
  if (!detail) return;
  const { community } = detail;
  const title = `Audit log — ${community.name}`;
  const back = h('p', {}, link(`#/c/${slug}`, `← Back to ${community.name}`));
  const path = (query) => `/api/v1/moderation/audit?${new URLSearchParams({ community: slug, ...query })}`;

  let first;
  let names;
  try {
    [first, names] = await Promise.all([api('GET', path({})), memberNames(slug)]);
  } catch (error) {
    if (error.status === 401) return void ctx.go(`/signin?next=/c/${slug}/audit`);
    return void refused(title, error, back);
  }
  if (ctx.me) names.set(ctx.me.user.id, ctx.me.user.display_name);

  const body = h('tbody', {});
  const table = h('table', { id: 'audit' },
    h('caption', {}, `Audit log of ${community.name}, oldest first`),
    h('thead', {}, h('tr', {}, ...['Time', 'Actor', 'Action', 'Target', 'Reason'].map((name) => h('th', { scope: 'col' }, name)))),
    body);
  const status = h('p', { class: 'hint', role: 'status' });
  const more = h('button', { type: 'button', class: 'small', onclick: () => load() }, 'Newer entries');
  const moreBox = h('div', { hidden: true }, more);
  const moreError = h('div', {});
  let after = null;

  function target(entry) {
    const text = `${entry.target_type.replace(/_/g, ' ')} #${entry.target_id}`;
    if (entry.target_type === 'appeal') return link(`#/appeals/${entry.target_id}`, text);
    if (entry.target_type === 'user') {
      const name = names.get(entry.target_id);
      return name ? `${name} (user #${entry.target_id})` : text;
    }
    return text;
  }

  function row(entry) {
    return h('tr', { 'data-id': entry.id },
      h('td', {}, timeElement(entry.created_at)),
      h('td', {}, names.get(entry.actor_id) ?? `User #${entry.actor_id}`),
      h('td', {}, entry.action),
      h('td', {}, target(entry)),
      h('td', {}, entry.reason));
  }

  function add(page) {
    const rows = page.entries.map(row);
    body.querySelector('.empty')?.remove();
    body.append(...rows);
    if (!body.children.length) body.append(h('tr', { class: 'empty' }, h('td', { colspan: 5 }, 'No entries yet.')));
    after = page.next_after_id ?? null;
    moreBox.hidden = after === null;
    status.textContent = `${plural(body.querySelectorAll('tr[data-id]').length, 'entry', 'entries')} shown.`;
    return rows;
  }

  async function load() {
    if (after === null) return;
    clearError(moreError);
    more.disabled = true;
    try {
      const rows = add(await api('GET', path({ after_id: String(after) })));
      announce(`${plural(rows.length, 'more entry', 'more entries')} shown.`);
      if (moreBox.hidden && rows[0]) {
        const cell = rows[0].querySelector('td');
        cell.setAttribute('tabindex', '-1');
        cell.focus();
      }
    } catch (error) {
      showError(moreError, error);
    } finally {
      more.disabled = false;
    }
  }

  show(h('h1', {}, title), back,
    h('p', {}, link(`/api/v1/moderation/audit?${new URLSearchParams({ community: slug, format: 'csv' })}`, 'Download CSV',
      { download: `convene-audit-${slug}.csv` })),
    status, table, moreError, moreBox);
  add(first);
}

// ---------------------------------------------------------------------------------------------
// The member's own standing: sanctions, and appeals of them.

export async function sanctionsView(ctx) {
  if (signInFirst(ctx, '/me/sanctions')) return;
  let gone = false;
  const stream = ctx.stream;
  const filed = new Map();  // sanction id → appeal id, filed from this page
  const list = h('div', { id: 'sanctions' });
  const summary = h('p', { role: 'status' });
  let names = new Map();

  function scopeName(sanction) {
    if (sanction.community_id === null || sanction.community_id === undefined) return 'the whole network';
    return names.get(sanction.community_id) ?? `community #${sanction.community_id}`;
  }

  function appealBox(sanction) {
    // The appeal needs the audit row of the action (`action_id`); read it from the sanction when
    // the server gives it.
    const actionID = sanction.action_id ?? sanction.audit_id ?? null;
    const appealID = sanction.appeal_id ?? sanction.appeal?.id ?? filed.get(sanction.id) ?? null;
    if (appealID !== null) {
      return h('p', { class: 'appeal-link' }, link(`#/appeals/${appealID}`, `Your appeal (appeal ${appealID})`));
    }
    if (actionID === null) return h('p', { class: 'hint' }, 'Appeals of this cannot be filed from this page yet.');
    const text = h('textarea', { name: 'text', rows: 4, maxlength: APPEAL_MAX, required: true });
    const submit = h('button', { type: 'submit' }, 'Appeal');
    const form = h('form', { class: 'appeal-form', novalidate: true, 'aria-label': `Appeal this ${SANCTIONS[sanction.kind]?.toLowerCase() ?? 'action'}` },
      field('Your appeal', text, `Up to ${APPEAL_MAX} characters. A moderator who did not take this action decides. You can appeal once.`),
      submit);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearError(form);
      if (!text.value.trim()) return showError(form, { message: 'Write your appeal first.', field: 'text' });
      submit.disabled = true;
      try {
        const { appeal } = await api('POST', '/api/v1/appeals', { action_id: actionID, text: text.value.trim() });
        filed.set(sanction.id, appeal.id);
        const done = h('p', { class: 'appeal-link' }, 'Your appeal was sent: ', link(`#/appeals/${appeal.id}`, `appeal ${appeal.id}`), '.');
        form.replaceWith(done);
        done.querySelector('a').focus();
        announce('Your appeal was sent. A moderator will decide it.');
      } catch (error) {
        submit.disabled = false;
        showError(form, error);
      }
      return undefined;
    });
    return form;
  }

  function sanctionArticle(sanction) {
    const kind = SANCTIONS[sanction.kind] ?? sanction.kind;
    const headingID = `sanction-${sanction.id}-heading`;
    const rows = [
      ['Reason', sanction.reason],
      ['Given', timeElement(sanction.created_at)],
    ];
    if (sanction.kind !== 'warn') rows.push(['Until', sanction.ends_at ? timeElement(sanction.ends_at) : 'Until lifted']);
    if (sanction.lifted_at) rows.push(['Lifted', timeElement(sanction.lifted_at)]);
    rows.push(['In force', sanction.in_force ? 'Yes' : 'No']);
    const effect = sanction.kind === 'silence' ? 'You can read but not post, react or flag there.'
      : sanction.kind === 'suspend' ? 'You cannot take part there at all.' : 'A warning is recorded; it restricts nothing.';
    return h('article', { class: 'sanction', 'data-id': sanction.id, 'data-kind': sanction.kind, 'aria-labelledby': headingID },
      h('h2', { id: headingID }, `${kind} — ${scopeName(sanction)}`, ' ',
        h('span', { class: 'badge in-force' }, sanction.in_force ? 'In force' : 'Not in force')),
      sanction.in_force || sanction.kind === 'warn' ? h('p', { class: 'hint' }, effect) : null,
      h('dl', { class: 'facts' }, ...rows.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])),
      appealBox(sanction));
  }

  async function load() {
    const [{ sanctions }, communities] = await Promise.all([
      api('GET', '/api/v1/me/sanctions'),
      api('GET', '/api/v1/communities').then((result) => result.communities, () => []),
    ]);
    if (gone) return;
    names = new Map(communities.map((one) => [one.id, one.name]));
    const active = sanctions.filter((sanction) => sanction.in_force);
    summary.textContent = !sanctions.length ? 'No warnings, silences or suspensions: you are in good standing.'
      : active.length ? `${plural(active.length, 'restriction')} in force now.` : 'Nothing restricts you now.';
    // Keep a form someone is writing in (a live update must not eat it).
    const keep = new Map([...list.querySelectorAll('article.sanction')]
      .filter((article) => article.querySelector('textarea')?.value)
      .map((article) => [article.dataset.id, article]));
    reconcile(list, sanctions.length
      ? sanctions.map((sanction) => keep.get(String(sanction.id)) ?? sanctionArticle(sanction))
      : [h('p', { class: 'empty' }, 'Nothing here.')]);
  }

  ctx.cleanup.push(() => { gone = true; });
  try {
    await load();
  } catch (error) {
    if (error.status === 401) return void ctx.go('/signin?next=/me/sanctions');
    return void refused('Your standing', error);
  }
  show(h('h1', {}, 'Your standing'),
    h('p', { class: 'hint' }, 'Warnings, silences and suspensions given to you, and whether each holds now.'),
    summary, list);

  if (!stream) return;
  const onDecided = async (event) => {
    const appeal = event.detail?.appeal;
    if (!appeal) return;
    announce(`Your appeal ${appeal.id} was decided: ${appeal.outcome}.`);
    try { await load(); } catch (_) { /* the page stays as it was */ }
  };
  stream.addEventListener('appeal_decided', onDecided);
  ctx.cleanup.push(() => stream.removeEventListener('appeal_decided', onDecided));
}

// ---------------------------------------------------------------------------------------------
// One appeal.

/** The audit row of the appealed action, for a lead or admin who may read it; best effort. */
async function appealedAction(ctx, actionID) {
  const slugs = (ctx.me?.communities ?? []).filter((one) => roleAtLeast(one.role, 'lead')).map((one) => one.slug);
  const admin = (ctx.me?.grants ?? []).some((grant) => grant.scope === 'network' && grant.role === 'admin');
  const query = (extra) => `/api/v1/moderation/audit?${new URLSearchParams({ ...extra, after_id: String(actionID - 1), limit: '1' })}`;
  const paths = [...(admin ? [query({})] : []), ...slugs.slice(0, 10).map((slug) => query({ community: slug }))];
  const found = await Promise.allSettled(paths.map((path) => api('GET', path)));
  for (const result of found) {
    const entry = result.status === 'fulfilled' ? result.value.entries?.[0] : null;
    if (entry && entry.id === actionID) return entry;
  }
  return null;
}

export async function appealView(ctx, rawID) {
  const id = Number(rawID);
  if (signInFirst(ctx, `/appeals/${id}`)) return;
  const title = `Appeal ${id}`;
  const me = ctx.me.user;
  let appeal;
  try {
    ({ appeal } = await api('GET', `/api/v1/appeals/${id}`));
  } catch (error) {
    if (error.status === 401) return void ctx.go(`/signin?next=/appeals/${id}`);
    if (error.status === 404) return void show(h('h1', {}, 'Appeal not found'), h('p', {}, error.message), h('p', {}, link('#/', 'Go to the network')));
    return void refused(title, error);
  }
  const mine = appeal.user_id === me.id;
  const action = mine ? null : await appealedAction(ctx, appeal.action_id);
  let gone = false;
  const stream = ctx.stream;
  const content = h('div', { class: 'appeal', 'data-id': appeal.id });
  const decideBox = h('section', { class: 'decide', 'aria-labelledby': 'decide-heading' });

  function stateText(one) {
    if (!one.outcome) return 'Waiting for a decision';
    return one.outcome === 'overturned' ? 'Decided: overturned — the action was undone' : 'Decided: upheld — the action stands';
  }

  function render() {
    const facts = [
      ['State', h('span', { class: 'appeal-state', 'data-state': appeal.outcome ?? 'open' }, stateText(appeal))],
      ['Filed', [mine ? 'by you, ' : `by member #${appeal.user_id}, `, timeElement(appeal.created_at)]],
      ['Action appealed', action
        ? [h('strong', {}, action.action), ` of ${action.target_type.replace(/_/g, ' ')} #${action.target_id} by `,
          action.actor_id === me.id ? 'you' : `moderator #${action.actor_id}`, ', ', timeElement(action.created_at), ': ', h('q', {}, action.reason)]
        : `Audit entry #${appeal.action_id}`],
    ];
    if (appeal.outcome) {
      facts.push(['Outcome', h('span', { class: 'appeal-outcome' }, appeal.outcome === 'overturned' ? 'Overturned' : 'Upheld')]);
      facts.push(['Note', appeal.note ? h('span', { class: 'appeal-note' }, appeal.note) : 'No note.']);
      if (appeal.decided_at) {
        facts.push(['Decided', [appeal.decided_by === me.id ? 'by you, ' : appeal.decided_by ? `by moderator #${appeal.decided_by}, ` : '',
          timeElement(appeal.decided_at)]]);
      }
    }
    fill(content,
      h('h2', {}, 'The appeal'),
      h('blockquote', { class: 'appeal-text' }, ...appeal.text.split('\n').flatMap((line, index) => (index ? [h('br'), line] : [line]))),
      h('dl', { class: 'facts' }, ...facts.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])));

    // Only a moderator of the scope reads someone else's appeal; the one who took the action does not decide it.
    const canDecide = !appeal.outcome && !mine && !(action && action.actor_id === me.id);
    if (canDecide) {
      if (!decideBox.querySelector('form')) fill(decideBox, h('h2', { id: 'decide-heading' }, 'Decide'), decideForm());
    } else if (!appeal.outcome && !mine) {
      fill(decideBox, h('h2', { id: 'decide-heading' }, 'Decide'),
        h('p', { class: 'hint' }, 'You took this action, so another moderator decides the appeal.'));
    } else {
      fill(decideBox);
    }
    decideBox.hidden = !decideBox.children.length;
  }

  function decideForm() {
    const outcome = select('outcome', OUTCOMES, '');
    const note = h('textarea', { name: 'note', rows: 4, maxlength: APPEAL_MAX });
    const submit = h('button', { type: 'submit' }, 'Decide');
    const form = h('form', { class: 'decide-form', novalidate: true, 'aria-label': 'Decide the appeal' },
      field('Outcome', outcome, 'Overturning lifts the sanction, shows the hidden message again, or posts the held one.'),
      field('Note', note, `Optional, up to ${APPEAL_MAX} characters; the member reads it.`),
      submit);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearError(form);
      if (!outcome.value) return showError(form, { message: 'Choose upheld or overturned.', field: 'outcome' });
      submit.disabled = true;
      try {
        const body = { outcome: outcome.value };
        if (note.value.trim()) body.note = note.value.trim();
        const decided = await api('POST', `/api/v1/appeals/${id}/decide`, body);
        appeal = decided.appeal;
        announce(`Appeal ${id} ${appeal.outcome}.`);
        render();
        content.querySelector('.appeal-state')?.setAttribute('tabindex', '-1');
        content.querySelector('.appeal-state')?.focus();
      } catch (error) {
        submit.disabled = false;
        showError(form, error);
      }
      return undefined;
    });
    return form;
  }

  async function refresh() {
    try {
      const { appeal: fresh } = await api('GET', `/api/v1/appeals/${id}`);
      if (gone) return;
      appeal = fresh;
      render();
    } catch (_) { /* the page stays as it was */ }
  }

  ctx.cleanup.push(() => { gone = true; });
  render();
  show(h('h1', {}, title),
    mine ? h('p', {}, link('#/me/sanctions', '← Your standing')) : null,
    content, decideBox);

  if (!stream) return;
  const onDecided = (event) => {
    if (event.detail?.appeal?.id !== id) return;
    announce(`Appeal ${id} was decided: ${event.detail.appeal.outcome}.`);
    refresh();
  };
  stream.addEventListener('appeal_decided', onDecided);
  ctx.cleanup.push(() => stream.removeEventListener('appeal_decided', onDecided));
}
