// Calls: a community's call series with their next occurrences and RSVPs, and the live room of
// one occurrence — its state machine on the stream (`call.*` ops), in-call chat, and peer-to-peer
// media over WebRTC with signaling relayed by the server.
import { api, nonce } from '../api.js';
import { h, show, field, showError, clearError, announce, timeElement, link, fill } from '../ui.js';

/** Series seen in a calls list: id → { slug, title } (for the room's heading and back link). */
const knownSeries = new Map();

const RSVPS = [['going', 'Going'], ['maybe', 'Maybe'], ['declined', "Can't go"]];

// ---------------------------------------------------------------------------------------------
// The calls of a community.

export async function callsView(ctx, slug) {
  const detail = await api('GET', `/api/v1/communities/${slug}`);
  const { community } = detail;

  const sections = await Promise.all(detail.call_series.map(async (series) => {
    knownSeries.set(series.id, { slug, title: series.title });
    const list = h('div', { class: 'occurrences' });
    const section = h('section', { class: 'series', 'data-id': series.id, 'aria-labelledby': `series-${series.id}` },
      h('h2', { id: `series-${series.id}` }, series.title),
      series.description ? h('p', {}, series.description) : null,
      h('p', { class: 'hint' }, `${series.duration_minutes} minutes each`,
        series.capacity ? `, ${series.capacity} places` : '', '. Times are in your time zone.'),
      list);

    /** Reads the series' occurrences again and redraws them; `focus` = [occurrence id, rsvp status] to keep focus on. */
    async function load(focus) {
      try {
        const { occurrences } = await api('GET', `/api/v1/call-series/${series.id}/occurrences`);
        fill(list, ...(occurrences.length
          ? occurrences.map((occurrence) => occurrenceArticle(occurrence))
          : [h('p', {}, 'No calls of this series are coming up.')]));
        if (focus) {
          list.querySelector(`article[data-id="${CSS.escape(focus[0])}"] button[data-status="${focus[1]}"]`)?.focus();
        }
      } catch (error) {
        fill(list, h('p', { class: 'error' }, error.message));
      }
    }

    function occurrenceArticle(occurrence) {
      const cancelled = occurrence.status === 'cancelled';
      const counts = occurrence.rsvp_counts;
      const mine = occurrence.my_rsvp;
      const problem = h('p', { class: 'error', role: 'alert', hidden: true });
      const rsvp = async (status) => {
        problem.hidden = true;
        try {
          const answer = await api('POST', `/api/v1/occurrences/${occurrence.id}/rsvp`, { status });
          announce(answer.waitlisted
            ? `You are waitlisted, position ${answer.waitlist_position}.`
            : { going: 'You are going.', maybe: 'You may go.', declined: 'You are not going.' }[answer.status]);
          await load([occurrence.id, status]);
        } catch (error) {
          problem.textContent = error.message;
          problem.hidden = false;
        }
      };
      const headingID = `occurrence-${occurrence.id}`;
      return h('article', { class: `occurrence${cancelled ? ' cancelled' : ''}`, 'data-id': occurrence.id, 'aria-labelledby': headingID },
        h('h3', { id: headingID }, timeElement(occurrence.starts_at, { dateStyle: 'full', timeStyle: 'short' }),
          ' – ', timeElement(occurrence.ends_at, { timeStyle: 'short' })),
        h('p', { class: 'status' }, cancelled ? 'Cancelled' : 'Scheduled', occurrence.original_start ? ' (moved from its usual time)' : ''),
        counts ? h('p', { class: 'rsvp-counts' },
          `${counts.going ?? 0} going · ${counts.maybe ?? 0} maybe · ${counts.declined ?? 0} can't go`,
          counts.waitlisted ? ` · ${counts.waitlisted} waitlisted` : '') : null,
        ctx.me && !cancelled ? h('div', { class: 'actions rsvp', role: 'group', 'aria-label': 'Your answer for this call' },
          ...RSVPS.map(([status, text]) => h('button', {
            type: 'button', class: 'small', 'data-status': status, 'aria-pressed': String(mine?.status === status),
            onclick: () => rsvp(status),
          }, text))) : null,
        mine?.waitlisted ? h('p', { class: 'waitlist' }, `You are waitlisted, position ${mine.waitlist_position}.`) : null,
        problem,
        cancelled ? null : h('p', {}, link(`#/room/${occurrence.id}`, 'Open the room')));
    }

    await load(null);
    return section;
  }));

  const calendar = `webcal://${location.host}/api/v1/communities/${slug}/calendar.ics`;
  show(h('h1', {}, `Calls — ${community.name}`),
    h('p', {}, link(`#/c/${slug}`, `← Back to ${community.name}`)),
    h('p', { class: 'actions' }, link(calendar, 'Add to calendar', { class: 'button' }),
      link(`/api/v1/communities/${slug}/calendar.ics`, 'Download the calendar file (.ics)')),
    ctx.me ? null : h('p', {}, link(`#/signin?next=/c/${slug}/calls`, 'Sign in'), ' to say whether you are going.'),
    ...(sections.length ? sections : [h('p', {}, 'No calls are scheduled in this community.')]));
}

// ---------------------------------------------------------------------------------------------
// The live room of one occurrence.

const ROLE_NAMES = { facilitator: 'facilitator', co_host: 'co-host', participant: 'participant' };
const RANK = { participant: 0, co_host: 1, facilitator: 2 };

/** The series' title and this call's times, when the caller may read them (the room works without). */
async function roomContext(occurrence) {
  const match = occurrence.match(/^(\d+)-(\d{4})(\d{2})(\d{2})T/);
  if (!match) return { series: null, times: null };
  const day = Date.UTC(Number(match[2]), Number(match[3]) - 1, Number(match[4]));
  const from = new Date(day - 2 * 86400000).toISOString();
  const to = new Date(day + 3 * 86400000).toISOString();
  try {
    const { series, occurrences } = await api('GET',
      `/api/v1/call-series/${match[1]}/occurrences?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    return { series, times: occurrences.find((one) => one.id === occurrence) ?? null };
  } catch (_) {
    return { series: null, times: null };
  }
}

/** A link to the SFU, only for http(s) addresses. */
function sfuLink(url) {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return link(parsed.href, 'Open the call on the media server');
  } catch (_) { /* not a URL */ }
  return h('span', {}, `Media server: ${url}`);
}

export async function roomView(ctx, occurrence) {
  if (!ctx.me) {
    show(h('h1', {}, 'Call room'), h('p', {}, link(`#/signin?next=/room/${occurrence}`, 'Sign in'), ' to join this call.'));
    return;
  }
  const stream = ctx.stream;
  const me = ctx.me.user.id;
  let replaced = false;  // another view took over while we read the series
  ctx.cleanup.push(() => { replaced = true; });
  const { series, times } = await roomContext(occurrence);
  if (replaced) return;
  const known = knownSeries.get(series?.id ?? Number(occurrence.split('-')[0]));

  // ---- what we know of the room ---------------------------------------------------------------
  let state = null;          // the last call.state, with the call.events since applied
  let stateSeq = 0;          // its seq: events at or below it are in it already
  let gone = false;          // the view was replaced
  let busy = false;          // a join or knock is on its way
  let offerKnock = false;    // the join was refused: knocking is the way in
  let turnedAway = false;
  let ended = false;         // known to have ended (also when told so on joining)
  let wanted = null;         // 'join' | 'knock': what to do again after the stream reconnects
  let leaving = false;       // we asked to leave (a `left` we did not ask for is a dropped connection)
  let rejoins = 0;
  const upvoted = new Set(); // questions this user upvoted here

  // Media: one RTCPeerConnection per other participant.
  const peers = new Map();     // user id → RTCPeerConnection (exposed for tests)
  const chains = new Map();    // user id → the promise its signaling steps run after, one at a time
  const queued = new Map();    // user id → ICE candidates that came before the remote description
  const retries = new Map();   // user id → offers made again after a failed connection
  const early = [];            // signals that came before we knew we were in a live room
  let local = null;            // our MediaStream, or null (no devices, or refused)
  let localReady = null;       // the promise of asking for it
  let localAsked = false;
  let mediaGeneration = 0;     // bumped by stopMedia: an answer to an older ask is thrown away
  let selfMuting = false;
  window.conveneRoom = { peers };

  // In-call chat.
  let chatChannel = null;      // the room's chat channel
  let chatSubscribed = false;
  const chatItems = new Map(); // message id → li

  const inRoom = () => state?.you?.status === 'in_room';
  const myRole = () => (inRoom() ? state.you.role ?? 'participant' : null);
  const isHost = () => myRole() === 'facilitator' || myRole() === 'co_host';
  const isFacilitator = () => myRole() === 'facilitator';
  const participant = (user) => state?.participants.find((one) => one.user === user) ?? null;
  const nameOf = (user) => participant(user)?.name ?? state?.knocks?.find((one) => one.user === user)?.name ?? `User ${user}`;
  const audioOnly = () => state?.media?.mode === 'audio_only';
  const mediaOn = () => inRoom() && state.phase === 'live';

  // ---- the page ---------------------------------------------------------------------------------
  const heading = h('h1', {}, series?.title ?? known?.title ?? 'Call room');
  const status = h('p', { id: 'room-status', role: 'status', class: 'room-status' }, 'Not joined');
  const problem = h('p', { class: 'error', role: 'alert', hidden: true });
  const entry = h('div', { class: 'actions room-entry' });
  const controls = h('div', { class: 'actions room-controls', role: 'group', 'aria-label': 'Call controls' });
  const mediaNote = h('div', { class: 'media-note' });
  const localVideo = h('video', { class: 'local', muted: true, autoplay: true, playsinline: true, 'aria-label': 'Your camera', hidden: true });
  localVideo.muted = true;
  const videos = h('div', { id: 'videos', class: 'videos' }, localVideo);
  const participantsList = h('ul', { id: 'participants' });
  const knocksBox = h('div', { class: 'knocks-box' });
  const peopleHeading = h('h2', { id: 'people-heading' }, 'Participants');
  const people = h('section', { 'aria-labelledby': 'people-heading', hidden: true }, peopleHeading, participantsList, knocksBox);

  const questionInput = h('input', { name: 'text', maxlength: 500, autocomplete: 'off' });
  const questionForm = h('form', { class: 'composer question-form' }, field('Ask a question', questionInput), h('button', { type: 'submit' }, 'Ask'));
  const questionList = h('ol', { id: 'room-questions', class: 'room-questions' });
  const questions = h('section', { 'aria-labelledby': 'questions-heading', hidden: true },
    h('h2', { id: 'questions-heading' }, 'Questions'), questionForm, questionList);

  const chatLog = h('ol', { id: 'room-chat', class: 'messages', 'aria-label': 'Chat messages' });
  const chatInput = h('input', { name: 'body', autocomplete: 'off', maxlength: 4000 });
  const chatForm = h('form', { class: 'composer chat-form' }, field('Message', chatInput), h('button', { type: 'submit' }, 'Send'));
  const chat = h('section', { 'aria-labelledby': 'chat-heading', hidden: true }, h('h2', { id: 'chat-heading' }, 'Chat'), chatLog, chatForm);

  function say(message) {
    problem.textContent = message;
    problem.hidden = !message;
  }

  function button(text, onclick, attributes = {}) {
    return h('button', { type: 'button', 'data-key': attributes['data-key'] ?? text, ...attributes, onclick }, text);
  }

  /** Sends a room command; an error is shown, never thrown. */
  async function command(frame) {
    try {
      const reply = await stream.request({ ...frame, occurrence });
      say('');
      return reply;
    } catch (error) {
      say(error.message || 'That did not work.');
      return null;
    }
  }

  function statusText() {
    if (ended || state?.phase === 'ended') return 'Ended';
    if (turnedAway) return 'Turned away';
    if (state?.you?.status === 'knocking') return 'Waiting to be let in…';
    if (inRoom()) return state.phase === 'live' ? 'Live' : 'In the lobby';
    return 'Not joined';
  }

  // ---- drawing ----------------------------------------------------------------------------------
  function render() {
    if (gone) return;
    const main = document.getElementById('main');
    const active = document.activeElement;
    const wasInside = !!main?.contains(active);

    const text = statusText();
    if (status.textContent !== text) status.textContent = text;
    const here = inRoom();
    const knocking = state?.you?.status === 'knocking';
    const over = ended || state?.phase === 'ended';

    fill(entry, 
      !here && !knocking && !over ? button('Join', join) : null,
      offerKnock && !here && !knocking && !over ? button('Knock', knock) : null,
      knocking && !over ? button('Stop knocking', leave) : null);

    fill(controls, ...(here ? controlButtons() : []));
    people.hidden = !here;
    questions.hidden = !here;
    chat.hidden = !here;
    if (here) {
      renderParticipants();
      renderKnocks();
      renderQuestions();
    }
    renderMediaNote();

    // A control redrawn under the keyboard: focus its new self, or else somewhere sensible.
    if (wasInside && !active.isConnected) {
      const key = active.dataset?.key;
      const again = (key && main.querySelector(`[data-key="${CSS.escape(key)}"]`))
        || controls.querySelector('button') || entry.querySelector('button') || heading;
      again.focus();
    }
  }

  function controlButtons() {
    const mine = participant(me);
    const hand = state.hands.includes(me);
    const list = [
      button(hand ? 'Lower hand' : 'Raise hand', () => command({ op: 'call.hand', raised: !hand }), { 'data-key': 'hand' }),
      button(mine?.muted ? 'Unmute microphone' : 'Mute microphone', toggleMicrophone, { 'data-key': 'microphone' }),
    ];
    const camera = local?.getVideoTracks()[0];
    if (camera && !audioOnly()) {
      list.push(button(camera.enabled ? 'Turn camera off' : 'Turn camera on', toggleCamera, { 'data-key': 'camera' }));
    }
    if (isFacilitator() && state.phase === 'lobby') list.push(button('Start the call', () => command({ op: 'call.start' })));
    if (isFacilitator() && (state.phase === 'lobby' || state.phase === 'live')) {
      list.push(button('End the call', () => command({ op: 'call.end' })));
    }
    if (isHost()) {
      list.push(button(state.locked ? 'Unlock' : 'Lock', () => command({ op: 'call.lock', locked: !state.locked }), { 'data-key': 'lock' }));
      list.push(button('Mute everyone', () => command({ op: 'call.mute_all' })));
    }
    list.push(button('Leave', leave));
    return list;
  }

  function renderParticipants() {
    const hands = state.hands;
    fill(participantsList, ...state.participants.map((person) => {
      const self = person.user === me;
      const raised = hands.indexOf(person.user);
      const actions = [];
      if (isHost() && !self) {
        const mineRank = RANK[myRole()] ?? 0;
        const theirRank = RANK[person.role] ?? 0;
        if (!person.muted && (theirRank < mineRank || isFacilitator())) {
          actions.push(button('Mute', () => command({ op: 'call.mute', user: person.user, muted: true }),
            { class: 'small', 'aria-label': `Mute ${person.name}`, 'data-key': `mute-${person.user}` }));
        }
        if (theirRank < mineRank) {
          actions.push(button('Remove', () => command({ op: 'call.remove', user: person.user }), { class: 'small', 'aria-label': `Remove ${person.name}`, 'data-key': `remove-${person.user}` }));
        }
        if (raised >= 0) {
          actions.push(button(`Lower ${person.name}'s hand`, () => command({ op: 'call.hand', raised: false, user: person.user }),
            { class: 'small', 'data-key': `lower-${person.user}` }));
        }
        if (isFacilitator() && person.role !== 'facilitator') {
          const cohost = person.role === 'co_host';
          actions.push(button(cohost ? 'Remove co-host' : 'Make co-host', () => command({ op: 'call.cohost', user: person.user, on: !cohost }),
            { class: 'small', 'aria-label': `${cohost ? 'Remove co-host' : 'Make co-host'}: ${person.name}`, 'data-key': `cohost-${person.user}` }));
        }
      }
      return h('li', { 'data-user': person.user, class: 'participant' },
        h('span', { class: 'name' }, person.name), self ? ' (you)' : '',
        person.role !== 'participant' ? [' ', h('span', { class: 'badge role' }, ROLE_NAMES[person.role] ?? person.role)] : null,
        person.muted ? [' ', h('span', { class: 'badge muted' }, 'muted')] : null,
        raised >= 0 ? [' ', h('span', { class: 'badge hand' }, isHost() ? `hand raised (${raised + 1})` : 'hand raised')] : null,
        actions.length ? h('span', { class: 'actions' }, ...actions) : null);
    }));
  }

  function renderKnocks() {
    if (!isHost()) {
      fill(knocksBox);
      return;
    }
    const knocks = state.knocks ?? [];
    fill(knocksBox, 
      h('h3', { id: 'knocks-heading' }, 'Knocking'),
      h('ul', { id: 'knocks', 'aria-labelledby': 'knocks-heading' }, ...knocks.map((knock) => h('li', { 'data-user': knock.user },
        h('span', { class: 'name' }, knock.name), ' ', knock.at ? timeElement(knock.at, { timeStyle: 'short' }) : '', ' ',
        button(`Admit ${knock.name}`, () => command({ op: 'call.admit', user: knock.user }), { class: 'small', 'data-key': `admit-${knock.user}` }),
        ' ',
        button(`Turn away ${knock.name}`, () => command({ op: 'call.deny', user: knock.user }), { class: 'small', 'data-key': `deny-${knock.user}` })))),
      knocks.length ? null : h('p', { class: 'hint' }, 'Nobody is knocking.'));
  }

  /** The question queue as the server orders it: unanswered first, most upvoted, then oldest. */
  function renderQuestions() {
    const queue = [...(state.questions ?? [])].sort((a, b) =>
      (a.answered - b.answered) || (b.upvotes - a.upvotes) || (a.id - b.id));
    fill(questionList, ...queue.map((question) => {
      const own = question.author === me;
      return h('li', { 'data-id': question.id, class: `room-question${question.answered ? ' answered' : ''}` },
        h('p', { class: 'text' }, question.text),
        h('p', { class: 'hint' }, own ? 'You asked' : `${nameOf(question.author)} asked`, ' · ',
          h('span', { class: 'upvotes' }, `${question.upvotes} upvote${question.upvotes === 1 ? '' : 's'}`),
          question.answered ? [' · ', h('span', { class: 'badge' }, 'Answered')] : null),
        h('span', { class: 'actions' },
          !own && !question.answered ? button('Upvote', async () => {
            if (upvoted.has(question.id)) return;  // one upvote each
            if (await command({ op: 'call.upvote', question: question.id })) {
              upvoted.add(question.id);
              render();
            }
          }, { class: 'small', 'aria-pressed': String(upvoted.has(question.id)), 'aria-label': `Upvote: ${question.text}`, 'data-key': `upvote-${question.id}` }) : null,
          isHost() && !question.answered ? button('Mark answered', () => command({ op: 'call.answered', question: question.id }),
            { class: 'small', 'aria-label': `Mark answered: ${question.text}`, 'data-key': `answered-${question.id}` }) : null));
    }));
  }

  function renderMediaNote() {
    const notes = [];
    if (inRoom() && state.phase !== 'live') notes.push(h('p', { class: 'hint' }, 'Audio and video start when a facilitator starts the call.'));
    if (inRoom() && audioOnly()) {
      notes.push(h('p', { class: 'notice' }, 'This call is past its size for video: audio only'));
      if (state.media.sfu_url) notes.push(h('p', {}, sfuLink(state.media.sfu_url)));
    }
    if (mediaOn() && localReady && !local && localAsked) {
      notes.push(h('p', { class: 'hint' }, 'No camera or microphone could be used: you can still watch and listen.'));
    }
    fill(mediaNote, ...notes);
  }

  // ---- entering and leaving ---------------------------------------------------------------------
  async function join() {
    if (busy) return;
    busy = true;
    turnedAway = false;
    leaving = false;
    wanted = 'join';
    render();
    try {
      const reply = await stream.request({ op: 'call.join', occurrence });
      offerKnock = false;
      say('');
      applyState(reply);
    } catch (error) {
      wanted = null;
      if (error.code === 'forbidden' && /knock/i.test(error.message || '')) offerKnock = true;
      if (error.code === 'conflict' && /ended/i.test(error.message || '')) ended = true;
      say(error.message || 'The room could not be joined.');
    } finally {
      busy = false;
      render();
      if (offerKnock && !inRoom()) entry.querySelector('[data-key="Knock"]')?.focus();
    }
  }

  async function knock() {
    if (busy) return;
    busy = true;
    turnedAway = false;
    wanted = 'knock';
    render();
    try {
      const reply = await stream.request({ op: 'call.knock', occurrence });
      offerKnock = false;
      say('');
      applyState(reply);
      announce('You knocked. A host will let you in.');
    } catch (error) {
      wanted = null;
      say(error.message || 'Knocking did not work.');
    } finally {
      busy = false;
      render();
    }
  }

  async function leave() {
    leaving = true;
    wanted = null;
    const knocking = state?.you?.status === 'knocking';
    await command({ op: 'call.leave' });
    wentOut();
    announce(knocking ? 'You stopped knocking.' : 'You left the call.');
    render();
    entry.querySelector('button')?.focus();
  }

  /** We are out of the room (left, removed, turned away, or the call ended): media and chat stop. */
  function wentOut() {
    if (state) {
      state.you = { ...state.you, status: 'out', role: null };
      state.hands = [];
    }
    wanted = null;
    stopMedia();
    stopChat();
  }

  // ---- the room's frames ------------------------------------------------------------------------
  /** A `call.state`: the whole room as we may see it. */
  function applyState(frame) {
    if (gone || !frame || frame.op !== 'call.state' || frame.occurrence !== occurrence) return;
    if (state && frame.seq < stateSeq) return;  // an older picture than the one we hold
    state = structuredClone(frame);
    state.participants = state.participants ?? [];
    state.knocks = state.knocks ?? [];
    state.hands = state.hands ?? [];
    state.questions = state.questions ?? [];
    stateSeq = frame.seq;
    if (state.phase === 'ended') ended = true;
    if (state.you.status === 'in_room') {
      wanted = 'join';
      offerKnock = false;
      turnedAway = false;
      if (state.chat_channel) startChat(state.chat_channel);
    } else if (state.you.status === 'knocking') {
      wanted = 'knock';
    }
    render();
    syncMedia();
  }

  /** A `call.event`: one change, applied to our copy of the state. */
  function applyEvent(frame) {
    if (gone || frame.occurrence !== occurrence || !state || frame.seq <= stateSeq) return;
    const data = frame.data ?? {};
    const removeKnock = (user) => { state.knocks = state.knocks.filter((one) => one.user !== user); };
    switch (frame.type) {
      case 'phase':
        state.phase = data.phase;
        if (data.phase === 'live') announce('The call is live.');
        if (data.phase === 'lobby') announce('The lobby is open.');
        if (data.phase === 'ended') {
          ended = true;
          announce('The call has ended.');
          wentOut();
        }
        break;
      case 'entered':
        removeKnock(data.user);
        state.participants = [...state.participants.filter((one) => one.user !== data.user), data].sort((a, b) => a.user - b.user);
        if (data.user !== me) announce(`${data.name} joined the call.`);
        // The lower user id offers: to someone new in a live call, when we are the lower.
        if (mediaOn() && data.user > me) offerTo(data.user);
        break;
      case 'left':
      case 'removed': {
        const name = nameOf(data.user);
        state.participants = state.participants.filter((one) => one.user !== data.user);
        state.hands = state.hands.filter((user) => user !== data.user);
        closePeer(data.user);
        if (data.user === me) {
          const dropped = frame.type === 'left' && !leaving && !ended && state.phase !== 'ended';
          wentOut();
          if (frame.type === 'removed') {
            offerKnock = true;
            say('You were removed from the call; knock to be let in again.');
            announce('You were removed from the call.');
          } else if (dropped && rejoins < 3) {
            // Our connection dropped and the server took us out: come back (admitted people need no knock).
            rejoins += 1;
            setTimeout(() => { if (!gone && !inRoom()) join(); }, 0);
          }
        } else {
          announce(frame.type === 'removed' ? `${name} was removed from the call.` : `${name} left the call.`);
        }
        break;
      }
      case 'admitted':
        removeKnock(data.user);
        if (data.user === me) announce('You were let in.');
        break;
      case 'denied':
        removeKnock(data.user);
        if (data.user === me) {
          turnedAway = true;
          offerKnock = true;
          wentOut();
          announce('You were turned away.');
        }
        break;
      case 'knocked':
        if (!state.knocks.some((one) => one.user === data.user)) state.knocks.push(data);
        if (isHost()) announce(`${data.name} is knocking.`);
        break;
      case 'hand':
        state.hands = state.hands.filter((user) => user !== data.user);
        if (data.raised) state.hands.push(data.user);
        if (data.raised && isHost() && data.user !== me) announce(`${nameOf(data.user)} raised a hand.`);
        break;
      case 'muted': {
        const person = participant(data.user);
        if (person) person.muted = data.muted;
        if (data.user === me) {
          setTrack('audio', !data.muted);
          if (data.muted && !selfMuting) announce('A host muted your microphone.');
        }
        break;
      }
      case 'locked':
        state.locked = data.locked;
        announce(data.locked ? 'The room is locked.' : 'The room is unlocked.');
        break;
      case 'role': {
        const person = participant(data.user);
        if (person) person.role = data.role;
        if (data.user === me) state.you.role = data.role;  // (a fresh call.state follows)
        break;
      }
      case 'asked':
        if (!state.questions.some((one) => one.id === data.id)) state.questions.push(data);
        if (data.author !== me) announce(`New question: ${data.text}`);
        break;
      case 'upvoted': {
        const question = state.questions.find((one) => one.id === data.question);
        if (question) question.upvotes = data.upvotes;
        break;
      }
      case 'answered': {
        const question = state.questions.find((one) => one.id === data.question);
        if (question) question.answered = true;
        break;
      }
      case 'media':
        state.media = data;
        applyMediaMode();
        announce(data.mode === 'audio_only' ? 'The call is now audio only.' : 'Video is back on.');
        break;
      default:
        return;
    }
    render();
    if (frame.type === 'phase') syncMedia();
  }

  // ---- in-call chat -----------------------------------------------------------------------------
  function placeMessage(message) {
    const item = h('li', { class: 'message', 'data-id': message.id },
      h('p', { class: 'meta' }, h('strong', {}, message.author?.display_name ?? 'someone'), ' ', timeElement(message.created_at, { timeStyle: 'short' })),
      message.deleted || message.hidden
        ? h('p', { class: 'deleted' }, message.deleted ? 'This message was deleted.' : 'This message is hidden.')
        : h('div', { class: 'body', html: message.body_html ?? '' }));
    const existing = chatItems.get(message.id);
    if (existing) existing.replaceWith(item);
    else chatLog.append(item);
    chatItems.set(message.id, item);
    item.scrollIntoView?.({ block: 'nearest' });
  }

  async function startChat(channel) {
    if (chatChannel === channel && chatSubscribed) return;
    const first = chatChannel !== channel;
    chatChannel = channel;
    chatSubscribed = true;
    let since = null;
    if (first) {
      // What was said before we came in (the last 50), then live from there with no gap.
      try {
        const page = await api('GET', `/api/v1/channels/${channel}/messages?limit=50`);
        for (const message of page.messages) {
          placeMessage(message);
          since = Math.max(since ?? 0, message.seq);
        }
        if (since === null) since = 0;
      } catch (_) { /* live from now, then */ }
    }
    if (gone || !chatSubscribed || chatChannel !== channel) return;
    stream.subscribe(channel, since);
  }

  function stopChat() {
    if (chatChannel !== null && chatSubscribed) stream.unsubscribe(chatChannel);
    chatSubscribed = false;
  }

  chatForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = chatInput.value.trim();
    if (!body) return;
    clearError(chatForm);
    chatInput.value = '';
    try {
      const reply = await stream.request({ op: 'call.chat', occurrence, body, nonce: nonce() });
      if (reply.op === 'held') announce('Your message waits for a moderator.');
    } catch (error) {
      chatInput.value = body;
      showError(chatForm, { message: error.message, field: error.field === 'body' ? 'body' : null });
    }
  });

  questionForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = questionInput.value.trim();
    if (!text) return;
    clearError(questionForm);
    try {
      await stream.request({ op: 'call.ask', occurrence, text });
      questionInput.value = '';
      announce('Your question is in the queue.');
    } catch (error) {
      showError(questionForm, { message: error.message, field: error.field === 'text' ? 'text' : null });
    }
  });

  // ---- media: one RTCPeerConnection per other participant ---------------------------------------

  /** Asks for camera and microphone once: both, else the microphone, else nothing (never fails). */
  function startLocal() {
    if (localReady) return localReady;
    const generation = mediaGeneration;
    localReady = (async () => {
      let got = null;
      const devices = navigator.mediaDevices;
      if (devices?.getUserMedia) {
        const asks = audioOnly() ? [{ audio: true }] : [{ audio: true, video: true }, { audio: true }];
        for (const constraints of asks) {
          try {
            got = await devices.getUserMedia(constraints);
            break;
          } catch (_) { /* ask for less */ }
        }
      }
      if (generation !== mediaGeneration || gone) {
        got?.getTracks().forEach((track) => track.stop());
        return;
      }
      local = got;
      localAsked = true;
      if (local) {
        const mine = participant(me);
        setTrack('audio', !mine?.muted);
        localVideo.srcObject = local;
        localVideo.hidden = local.getVideoTracks().length === 0;
        localVideo.play?.().catch(() => {});
      }
      render();
    })();
    return localReady;
  }

  function setTrack(kind, enabled) {
    for (const track of local?.getTracks() ?? []) if (track.kind === kind) track.enabled = enabled;
  }

  async function toggleMicrophone() {
    const mine = participant(me);
    if (!mine) return;
    const muted = !mine.muted;
    setTrack('audio', !muted);
    mine.muted = muted;
    selfMuting = true;
    render();
    const reply = await command({ op: 'call.mute', muted });
    selfMuting = false;
    if (!reply) {
      mine.muted = !muted;
      setTrack('audio', muted);
      render();
    } else {
      announce(muted ? 'Your microphone is muted.' : 'Your microphone is on.');
    }
  }

  function toggleCamera() {
    const camera = local?.getVideoTracks()[0];
    if (!camera) return;
    camera.enabled = !camera.enabled;
    announce(camera.enabled ? 'Your camera is on.' : 'Your camera is off.');
    render();
  }

  /** Past the mesh size, stop sending video (and send it again when the room is small again). */
  function applyMediaMode() {
    const camera = local?.getVideoTracks()[0] ?? null;
    for (const pc of peers.values()) {
      for (const transceiver of pc.getTransceivers()) {
        if (transceiver.receiver.track?.kind !== 'video') continue;
        if (audioOnly()) transceiver.sender.replaceTrack(null).catch(() => {});
        else if (camera && transceiver.direction.startsWith('send')) transceiver.sender.replaceTrack(camera).catch(() => {});
      }
    }
    render();
  }

  function iceServers() {
    return (state?.ice_servers ?? []).map((server) => {
      const entry = { urls: server.urls };
      if (server.username) entry.username = server.username;
      if (server.credential) entry.credential = server.credential;
      return entry;
    });
  }

  /** Runs one signaling step for `user` after the ones before it (offers, answers and candidates stay in order). */
  function enqueue(user, step) {
    const next = (chains.get(user) ?? Promise.resolve()).then(step).catch((error) => {
      console.warn(`call: signaling with ${user} failed`, error);
    });
    chains.set(user, next);
  }

  function signal(to, kind, data) {
    stream.request({ op: 'call.signal', occurrence, to, kind, data }).catch(() => { /* they left, or the call stopped */ });
  }

  /** A new connection to `user` (closing any old one), with its video element. */
  function createPeer(user) {
    closePeer(user);
    const pc = new RTCPeerConnection({ iceServers: iceServers() });
    peers.set(user, pc);
    queued.set(user, []);
    const video = h('video', { 'data-user': user, autoplay: true, playsinline: true, 'aria-label': `Video of ${nameOf(user)}` });
    videos.append(video);
    pc.addEventListener('icecandidate', (event) => {
      if (event.candidate && peers.get(user) === pc) signal(user, 'ice', event.candidate.toJSON());
    });
    pc.addEventListener('track', (event) => {
      const remote = event.streams[0] ?? new MediaStream([event.track]);
      if (video.srcObject !== remote) video.srcObject = remote;
      video.play?.().catch(() => {});
    });
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState !== 'failed' || peers.get(user) !== pc) return;
      // The offerer tries again, a few times.
      const tries = retries.get(user) ?? 0;
      if (me < user && tries < 3 && mediaOn() && participant(user)) {
        retries.set(user, tries + 1);
        setTimeout(() => { if (peers.get(user) === pc && mediaOn()) offerTo(user); }, 1000);
      }
    });
    return pc;
  }

  function closePeer(user) {
    const pc = peers.get(user);
    if (pc) {
      pc.close();
      peers.delete(user);
    }
    queued.delete(user);
    videos.querySelector(`video[data-user="${user}"]`)?.remove();
  }

  /** Our tracks on a connection; the offerer asks to receive what it does not send. */
  function addLocalTracks(pc, offerer) {
    const kinds = audioOnly() ? ['audio'] : ['audio', 'video'];
    for (const kind of kinds) {
      const track = local?.getTracks().find((one) => one.kind === kind);
      if (track) {
        if (!pc.getSenders().some((sender) => sender.track === track)) pc.addTrack(track, local);
      } else if (offerer) {
        pc.addTransceiver(kind, { direction: 'recvonly' });
      }
    }
  }

  async function flushCandidates(user, pc) {
    for (const candidate of queued.get(user)?.splice(0) ?? []) {
      await pc.addIceCandidate(candidate).catch(() => {});
    }
  }

  /** We are the lower user id: we offer to `user`. */
  function offerTo(user) {
    const pc = createPeer(user);
    enqueue(user, async () => {
      await startLocal();
      if (peers.get(user) !== pc || !mediaOn()) return;
      addLocalTracks(pc, true);
      await pc.setLocalDescription(await pc.createOffer());
      if (peers.get(user) !== pc) return;
      signal(user, 'offer', { type: pc.localDescription.type, sdp: pc.localDescription.sdp });
    });
  }

  async function handleSignal({ from, kind, data }) {
    if (kind === 'offer') {
      await startLocal();
      if (!mediaOn()) return;
      // Every offer starts a new session (we never renegotiate one): a fresh connection.
      const pc = createPeer(from);
      await pc.setRemoteDescription(data);
      addLocalTracks(pc, false);
      await flushCandidates(from, pc);
      await pc.setLocalDescription(await pc.createAnswer());
      if (peers.get(from) !== pc) return;
      signal(from, 'answer', { type: pc.localDescription.type, sdp: pc.localDescription.sdp });
    } else if (kind === 'answer') {
      const pc = peers.get(from);
      if (!pc || pc.signalingState !== 'have-local-offer') return;
      await pc.setRemoteDescription(data);
      retries.delete(from);
      await flushCandidates(from, pc);
    } else if (kind === 'ice') {
      const pc = peers.get(from);
      if (pc && pc.remoteDescription) await pc.addIceCandidate(data).catch(() => {});
      else {
        if (!queued.has(from)) queued.set(from, []);
        queued.get(from).push(data);
      }
    }
  }

  function onSignalFrame(frame) {
    if (frame.occurrence !== occurrence || typeof frame.from !== 'number') return;
    if (!mediaOn()) {
      // It may come before our own state says we are in a live room: keep it for then.
      if (early.length < 500) early.push(frame);
      return;
    }
    enqueue(frame.from, () => handleSignal(frame));
  }

  /** Brings the media in line with the room: on when live and in it, offers to each higher id, off otherwise. */
  function syncMedia() {
    if (gone) return;
    if (!mediaOn()) {
      if (peers.size || local || localReady) stopMedia();
      return;
    }
    startLocal();
    const present = new Set(state.participants.map((one) => one.user));
    for (const user of [...peers.keys()]) if (!present.has(user)) closePeer(user);
    for (const user of present) if (user > me && !peers.has(user)) offerTo(user);
    for (const frame of early.splice(0)) enqueue(frame.from, () => handleSignal(frame));
  }

  function closeAllPeers() {
    for (const user of [...peers.keys()]) closePeer(user);
    chains.clear();
  }

  function stopMedia() {
    mediaGeneration += 1;
    closeAllPeers();
    early.length = 0;
    local?.getTracks().forEach((track) => track.stop());
    local = null;
    localReady = null;
    localAsked = false;
    localVideo.srcObject = null;
    localVideo.hidden = true;
  }

  // ---- the stream -------------------------------------------------------------------------------
  const onState = (event) => applyState(event.detail);
  const onCallEvent = (event) => applyEvent(event.detail);
  const onSignal = (event) => onSignalFrame(event.detail);
  const onChat = (event) => {
    const frame = event.detail;
    if (chatChannel === null || frame.channel !== chatChannel || !frame.data) return;
    placeMessage(frame.data);
    if (frame.type === 'message.created' && frame.data.author?.id !== me) {
      announce(`${frame.data.author?.display_name ?? 'Someone'}: ${frame.data.body ?? ''}`);
    }
  };
  const onStatus = (event) => {
    // A new connection is in no room: the server took the old one out. Close our side of the
    // calls and come back the way we were (the chat channel is resubscribed by the stream).
    if (event.detail !== 'open' || !wanted) return;
    closeAllPeers();
    if (wanted === 'join') join();
    else knock();
  };
  const listeners = [['call.state', onState], ['call.event', onCallEvent], ['call.signal', onSignal], ['event', onChat], ['status', onStatus]];
  for (const [name, handler] of listeners) stream.addEventListener(name, handler);

  ctx.cleanup.push(() => {
    const wasThere = inRoom() || state?.you?.status === 'knocking';
    gone = true;
    for (const [name, handler] of listeners) stream.removeEventListener(name, handler);
    if (wasThere) stream.request({ op: 'call.leave', occurrence }).catch(() => {});
    stopMedia();
    stopChat();
  });

  show(heading,
    known ? h('p', {}, link(`#/c/${known.slug}/calls`, '← All calls')) : null,
    times ? h('p', {}, timeElement(times.starts_at, { dateStyle: 'full', timeStyle: 'short' }), ' – ',
      timeElement(times.ends_at, { timeStyle: 'short' }), times.status === 'cancelled' ? ' (cancelled)' : '') : null,
    status, problem, entry, controls, mediaNote, videos, people, questions, chat);
  render();
}
