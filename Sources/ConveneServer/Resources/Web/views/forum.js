// The Q&A forum: a community's questions, asking one, and a question's page with its answers,
// votes, accepted answer, comments and revisions, kept up to date over the live stream.
import { api } from '../api.js';
import { h, show, field, showError, clearError, announce, timeElement, link, fill } from '../ui.js';

const FILTERS = [['all', 'All'], ['unanswered', 'Unanswered'], ['unsolved', 'Unsolved'], ['solved', 'Solved']];
const SORTS = [['activity', 'Activity'], ['votes', 'Votes'], ['newest', 'Newest']];
const CLOSE_REASONS = { duplicate: 'a duplicate', off_topic: 'off topic', resolved_elsewhere: 'resolved elsewhere' };
const ROLES = ['guest', 'member', 'facilitator', 'moderator', 'lead', 'admin'];
const MAX_TAGS = 5;

function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** A `<select>` of `[value, text]` options with `chosen` selected. */
function select(name, options, chosen) {
  return h('select', { name }, ...options.map(([value, text]) => h('option', { value, selected: value === chosen }, text)));
}

/** The first allowed value among `value` and the options (for query parameters from the address bar). */
function allowed(value, options) {
  return options.some(([option]) => option === value) ? value : options[0][0];
}

function tagList(slugs, names) {
  if (!slugs?.length) return null;
  return h('ul', { class: 'tags', 'aria-label': 'Tags' },
    ...slugs.map((slug) => h('li', {}, h('span', { class: 'badge tag' }, names?.get(slug) ?? slug))));
}

// ---------------------------------------------------------------------------------------------
// The list of a community's questions.

export async function forumView(ctx, slug) {
  const detail = await api('GET', `/api/v1/communities/${slug}`);
  const { community } = detail;
  const tagNames = new Map(detail.tags.map((tag) => [tag.slug, tag.name]));
  const tagOptions = [['', 'Any tag'], ...detail.tags.map((tag) => [tag.slug, tag.name])];

  const filter = select('filter', FILTERS, allowed(ctx.query.get('filter'), FILTERS));
  const sort = select('sort', SORTS, allowed(ctx.query.get('sort'), SORTS));
  const tag = select('tag', tagOptions, allowed(ctx.query.get('tag') ?? '', tagOptions));
  const controls = h('form', { class: 'actions filters', role: 'search', 'aria-label': 'Choose questions' },
    field('Show', filter), field('Sort by', sort), field('Tag', tag));
  controls.addEventListener('submit', (event) => event.preventDefault());

  const list = h('div', { class: 'question-list', id: 'questions' });
  const summary = h('p', { class: 'hint', role: 'status' });
  const more = h('button', { type: 'button', class: 'small', onclick: () => load(true) }, 'More questions');
  const moreBox = h('div', { hidden: true }, more);
  let nextOffset = null;
  let generation = 0;  // a newer choice of filter or sort makes older answers moot

  async function load(append) {
    const mine = ++generation;
    const query = new URLSearchParams({ filter: filter.value, sort: sort.value });
    if (tag.value) query.set('tag', tag.value);
    if (append && nextOffset !== null) query.set('offset', String(nextOffset));
    list.setAttribute('aria-busy', 'true');
    try {
      const page = await api('GET', `/api/v1/communities/${slug}/questions?${query}`);
      if (mine !== generation) return;
      const items = page.questions.map((question) => questionItem(question, tagNames));
      if (append) {
        list.append(...items);
        items[0]?.querySelector('a')?.focus();
      } else {
        fill(list, ...(items.length ? items : [h('p', { class: 'empty' }, 'No questions match.')]));
      }
      nextOffset = page.next_offset ?? null;
      moreBox.hidden = nextOffset === null;
      const shown = list.querySelectorAll('.question-item').length;
      summary.textContent = `${plural(shown, 'question')} shown.`;
    } catch (error) {
      if (mine === generation) summary.textContent = error.message;
    } finally {
      if (mine === generation) list.removeAttribute('aria-busy');
    }
  }

  for (const control of [filter, sort, tag]) {
    control.addEventListener('change', () => {
      // Keep the choice in the address (without a navigation) so Back and a reload come back to it.
      const chosen = new URLSearchParams({ filter: filter.value, sort: sort.value });
      if (tag.value) chosen.set('tag', tag.value);
      history.replaceState(null, '', `#/c/${slug}/forum?${chosen}`);
      load(false);
    });
  }

  const ask = ctx.me
    ? h('p', {}, link(`#/c/${slug}/ask`, 'Ask a question', { class: 'button' }))
    : h('p', {}, link(`#/signin?next=/c/${slug}/forum`, 'Sign in'), ' to ask or answer.');
  show(h('h1', {}, `Forum — ${community.name}`),
    h('p', {}, link(`#/c/${slug}`, `← Back to ${community.name}`)),
    ask, controls, summary, list, moreBox);
  await load(false);
}

function questionItem(question, tagNames) {
  const solved = question.accepted_answer_id !== undefined && question.accepted_answer_id !== null;
  return h('article', { class: 'question-item', 'data-id': question.id },
    h('h2', {}, link(`#/q/${question.id}`, question.title)),
    h('p', { class: 'stats' },
      h('span', { class: 'score' }, plural(question.score, 'vote')), ' · ',
      h('span', { class: 'answer-count' }, plural(question.answer_count, 'answer')),
      solved ? [' ', h('span', { class: 'badge solved' }, 'Solved')] : null,
      question.closed ? [' ', h('span', { class: 'badge closed' }, 'Closed')] : null,
      question.hidden ? [' ', h('span', { class: 'badge hidden-post' }, 'Hidden')] : null),
    tagList(question.tags, tagNames),
    h('p', { class: 'hint' }, 'Asked by ', question.author?.display_name ?? 'someone', ' · last activity ',
      timeElement(question.last_activity_at)));
}

// ---------------------------------------------------------------------------------------------
// Asking a question.

/** The body as it will read, roughly: paragraphs at blank lines, line breaks kept (markdown is applied by the server). */
function previewOf(text) {
  const paragraphs = text.trim().split(/\n\s*\n/).filter((part) => part.trim());
  if (!paragraphs.length) return [h('p', { class: 'hint' }, 'Nothing to preview yet.')];
  return paragraphs.map((part) => {
    const lines = part.split('\n');
    return h('p', {}, ...lines.flatMap((line, index) => (index ? [h('br'), line] : [line])));
  });
}

export async function askView(ctx, slug) {
  if (!ctx.me) {
    ctx.go(`/signin?next=/c/${slug}/ask`);
    return;
  }
  const detail = await api('GET', `/api/v1/communities/${slug}`);
  const { community } = detail;

  const title = h('input', { name: 'title', maxlength: 200, required: true, autocomplete: 'off' });
  const body = h('textarea', { name: 'body', rows: 10, maxlength: 50000, required: true });
  const tagsHint = h('p', { class: 'hint', id: 'tags-hint' }, `Choose 1 to ${MAX_TAGS}.`);
  const tags = h('fieldset', { class: 'tags', 'aria-describedby': 'tags-hint' }, h('legend', {}, 'Tags'), tagsHint,
    ...detail.tags.map((tag) => {
      const id = `tag-${tag.slug}`;
      return h('div', { class: 'check' }, h('input', { type: 'checkbox', name: 'tags', value: tag.slug, id }), ' ', h('label', { for: id }, tag.name));
    }));
  if (!detail.tags.length) tags.append(h('p', {}, 'This community has no tags yet; its moderators add them.'));

  const previewBody = h('div', { class: 'preview-body' });
  const preview = h('section', { class: 'preview', 'aria-labelledby': 'preview-heading', hidden: true },
    h('h2', { id: 'preview-heading' }, 'Preview'), previewBody);
  const previewButton = h('button', {
    type: 'button', class: 'small', 'aria-controls': 'ask-preview',
    onclick: async () => {
      try {
        const { html } = await api('POST', '/api/v1/preview', { body: body.value });
        fill(previewBody, h('div', { class: 'body', html }));
      } catch (_) {
        fill(previewBody, ...previewOf(body.value));
      }
      preview.hidden = false;
      announce('Preview updated below the form.');
    },
  }, 'Preview');
  preview.id = 'ask-preview';

  const submit = h('button', { type: 'submit' }, 'Post your question');
  const form = h('form', { class: 'ask', novalidate: true },
    field('Title', title, 'One sentence that says what you want to know (up to 200 characters).'),
    field('Body', body, 'Markdown works: **bold**, _italic_, `code`, lists, quotes and links. '
      + 'Preview shows your text as it will read once posted.'),
    tags,
    h('div', { class: 'actions' }, previewButton, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError(form);
    const chosen = [...form.querySelectorAll('input[name="tags"]:checked')].map((input) => input.value);
    // The server checks all of this too; saying so here saves a round trip.
    if (!title.value.trim()) return showError(form, { message: 'Give your question a title.', field: 'title' });
    if (!body.value.trim()) return showError(form, { message: 'Write the question itself in the body.', field: 'body' });
    if (chosen.length < 1 || chosen.length > MAX_TAGS) return showError(form, { message: `Choose 1 to ${MAX_TAGS} tags.`, field: 'tags' });
    submit.disabled = true;
    try {
      const question = await api('POST', `/api/v1/communities/${slug}/questions`, { title: title.value.trim(), body: body.value, tags: chosen });
      announce(question.hidden ? 'Your question was posted and waits for a moderator.' : 'Your question was posted.');
      ctx.go(`/q/${question.id}`);
    } catch (error) {
      showError(form, error);
    } finally {
      submit.disabled = false;
    }
    return undefined;
  });

  show(h('h1', {}, `Ask a question — ${community.name}`),
    h('p', {}, link(`#/c/${slug}/forum`, '← Back to the forum')),
    detail.joined ? null : h('p', { class: 'hint' }, 'Only members ask questions here: ',
      link(`#/c/${slug}`, `join ${community.name}`), ' first.'),
    form, preview);
  title.focus();
}

// ---------------------------------------------------------------------------------------------
// A question's page.

export async function questionView(ctx, id) {
  const stream = ctx.stream;
  let gone = false;          // the view was replaced: stop touching it
  let page = null;
  const listeners = [];      // [event name, handler] on the stream, taken off at cleanup
  let refreshTimer = null;
  ctx.cleanup.push(() => {
    gone = true;
    clearTimeout(refreshTimer);
    for (const [name, handler] of listeners) stream.removeEventListener(name, handler);
    if (stream) stream.request({ op: 'unfollow_question', question: id }).catch(() => {});
  });

  // Follow first, then read (question events are not replayed): wait a moment for the follow to
  // be confirmed, and when it is confirmed only after the read began, read again then.
  const follow = () => stream.request({ op: 'follow_question', question: id });
  let followed = null;
  let confirmed = false;
  if (stream) {
    followed = follow().then(() => { confirmed = true; return true; }, () => false);
    await Promise.race([followed, new Promise((resolve) => setTimeout(resolve, 1500))]);
  }
  const confirmedBeforeRead = confirmed;

  try {
    page = await api('GET', `/api/v1/questions/${id}`);
  } catch (error) {
    if (gone) return;
    if (error.status === 404) {
      show(h('h1', {}, 'Question not found'), h('p', {}, error.message), h('p', {}, link('#/', 'Go to the network')));
      return;
    }
    throw error;
  }

  // The question's community: its slug (for links), its tags' names, and the caller's role there.
  let community = null;
  let tagNames = new Map();
  let role = 'guest';
  try {
    const { communities } = await api('GET', '/api/v1/communities');
    community = communities.find((one) => one.id === page.question.community_id) ?? null;
    if (community) {
      const detail = await api('GET', `/api/v1/communities/${community.slug}`);
      tagNames = new Map(detail.tags.map((tag) => [tag.slug, tag.name]));
      role = detail.your_role ?? 'guest';
    }
  } catch (_) { /* the page works without them */ }
  const me = ctx.me?.user ?? null;
  const moderator = ROLES.indexOf(role) >= ROLES.indexOf('moderator');

  const heading = h('h1', {}, page.question.title);
  const pageError = h('p', { class: 'error', role: 'alert', hidden: true });
  const content = h('div', { class: 'question-page' });
  // Comment composers survive a re-render (a live change must not eat what someone is typing).
  const openComposers = new Set();
  const drafts = new Map();

  function fail(error) {
    pageError.textContent = error.message || String(error);
    pageError.hidden = false;
  }

  function clearFail() {
    pageError.hidden = true;
    pageError.textContent = '';
  }

  /** Runs an action, then reads the page again; an error is shown at the top. */
  let ownActionAt = 0;  // the live echo of one's own action is not announced again
  async function act(work, said) {
    clearFail();
    ownActionAt = Date.now();
    try {
      await work();
      if (said) announce(said);
      await refresh();
    } catch (error) {
      fail(error);
    }
  }

  function voteBox(kind, post, myVote) {
    const score = h('span', { class: 'score' }, String(post.score));
    const canVote = me && post.author?.id !== me.id;
    const label = kind === 'question' ? 'Question score' : 'Answer score';
    if (!canVote) return h('div', { class: 'votes', role: 'group', 'aria-label': label }, score);
    // The page is read again after the vote (act), which draws the new score and pressed state.
    const vote = (value) => act(() => api('POST', `/api/v1/${kind}s/${post.id}/vote`, { value: myVote === value ? 0 : value }));
    return h('div', { class: 'votes', role: 'group', 'aria-label': label },
      h('button', { type: 'button', class: 'small vote-up', 'aria-label': 'Vote up', 'aria-pressed': String(myVote === 1), 'data-key': `${kind}-${post.id}-up`, onclick: () => vote(1) }, '▲'),
      score,
      h('button', { type: 'button', class: 'small vote-down', 'aria-label': 'Vote down', 'aria-pressed': String(myVote === -1), 'data-key': `${kind}-${post.id}-down`, onclick: () => vote(-1) }, '▼'));
  }

  function byline(verb, author, at) {
    return h('p', { class: 'hint byline' }, `${verb} by `, h('span', { class: 'author' }, author?.display_name ?? 'someone'), ' ', timeElement(at));
  }

  function commentsBlock(type, targetID, comments) {
    const key = `${type}-${targetID}`;
    const list = comments.length
      ? h('ol', { class: 'comments', 'aria-label': `Comments on this ${type}` },
        ...comments.map((comment) => h('li', { class: 'comment', 'data-id': comment.id },
          h('div', { class: 'body', html: comment.body_html }),
          h('p', { class: 'hint' }, '— ', comment.author?.display_name ?? 'someone', ' ', timeElement(comment.created_at)))))
      : null;
    let composer = null;
    if (me && !page.question.closed) {
      if (openComposers.has(key)) {
        const text = h('textarea', { name: 'body', rows: 3, maxlength: 2000, 'data-key': `comment-text-${key}` });
        text.value = drafts.get(key) ?? '';
        text.addEventListener('input', () => drafts.set(key, text.value));
        const form = h('form', { class: 'comment-form' }, field('Your comment', text, 'Up to 2000 characters.'),
          h('div', { class: 'actions' },
            h('button', { type: 'submit', 'data-key': `comment-send-${key}` }, 'Post comment'),
            h('button', {
              type: 'button', class: 'small', 'data-key': `comment-cancel-${key}`,
              onclick: () => { openComposers.delete(key); drafts.delete(key); render(); focusKey(`comment-open-${key}`); },
            }, 'Cancel')));
        form.addEventListener('submit', async (event) => {
          event.preventDefault();
          clearError(form);
          if (!text.value.trim()) return showError(form, { message: 'Write the comment first.', field: 'body' });
          try {
            ownActionAt = Date.now();
            await api('POST', `/api/v1/${type}s/${targetID}/comments`, { body: text.value });
            openComposers.delete(key);
            drafts.delete(key);
            announce('Your comment was posted.');
            await refresh();
            focusKey(`comment-open-${key}`);
          } catch (error) {
            showError(form, error);
          }
          return undefined;
        });
        composer = form;
      } else {
        composer = h('button', {
          type: 'button', class: 'link', 'data-key': `comment-open-${key}`,
          onclick: () => { openComposers.add(key); render(); focusKey(`comment-text-${key}`); },
        }, 'Add a comment');
      }
    }
    return h('div', { class: 'comments-block' }, list, composer);
  }

  function answerArticle(answer, canAccept) {
    const hiddenText = answer.hidden && !answer.body_html;
    return h('article', { class: `answer${answer.accepted ? ' accepted' : ''}`, 'data-id': answer.id, 'aria-label': `Answer by ${answer.author?.display_name ?? 'someone'}` },
      answer.accepted ? h('p', { class: 'accepted-badge' }, 'Accepted answer') : null,
      answer.outdated ? h('p', { class: 'outdated' }, h('strong', {}, 'Outdated'),
        answer.outdated_note ? `: ${answer.outdated_note}` : '',
        answer.review_by ? [' (review by ', timeElement(answer.review_by, { dateStyle: 'medium' }), ')'] : '') : null,
      answer.hidden ? h('p', { class: 'hint' }, hiddenText ? 'This answer is hidden.' : 'This answer is hidden from others.') : null,
      h('div', { class: 'post' },
        voteBox('answer', answer, answer.my_vote ?? 0),
        h('div', { class: 'post-main' },
          hiddenText ? null : h('div', { class: 'body', html: answer.body_html }),
          byline('Answered', answer.author, answer.created_at),
          canAccept ? h('div', { class: 'actions' }, h('button', {
            type: 'button', class: 'small accept', 'data-key': `accept-${answer.id}`,
            onclick: () => act(() => api(answer.accepted ? 'DELETE' : 'POST', `/api/v1/answers/${answer.id}/accept`),
              answer.accepted ? 'The answer is no longer accepted.' : 'Answer accepted.'),
          }, answer.accepted ? 'Unaccept' : 'Accept this answer')) : null)),
      commentsBlock('answer', answer.id, answer.comments ?? []));
  }

  function focusKey(key) {
    const element = content.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (element) element.focus();
  }

  /** Draws the question and its answers from `page`, keeping focus where it was. */
  function render() {
    const { question, answers, comments, duplicates } = page;
    heading.textContent = question.title;
    document.title = `${question.title} — Convene`;
    const active = content.contains(document.activeElement) ? document.activeElement : null;
    const activeKey = active?.dataset?.key;
    const caret = active && 'selectionStart' in active ? [active.selectionStart, active.selectionEnd] : null;

    const canAccept = !!me && (question.author?.id === me.id || moderator);
    const notices = [];
    if (question.closed) {
      notices.push(h('p', { class: 'notice closed' }, h('strong', {}, 'Closed'),
        question.close_reason ? ` as ${CLOSE_REASONS[question.close_reason] ?? question.close_reason}` : '',
        question.closed_at ? [' ', timeElement(question.closed_at)] : '',
        question.duplicate_of ? ['. See ', link(`#/q/${question.duplicate_of}`, 'the original question')] : '',
        '. It takes no new answers or comments.'));
    }
    if (question.hidden) notices.push(h('p', { class: 'notice' }, 'This question is hidden: only its author and the moderators see it.'));
    if (question.source_occurrence_id) {
      notices.push(h('p', { class: 'hint' }, 'Asked in a call and carried over: ', link(`#/room/${question.source_occurrence_id}`, 'the call')));
    }
    if (question.source_message_id && question.source_channel_id && community) {
      notices.push(h('p', { class: 'hint' }, 'Promoted from ', link(`#/c/${community.slug}/ch/${question.source_channel_id}`, 'a channel thread'), '.'));
    }

    fill(content, 
      h('article', { class: 'question', 'data-id': question.id, 'aria-label': 'The question' },
        ...notices,
        h('div', { class: 'post' },
          voteBox('question', question, page.my_vote ?? 0),
          h('div', { class: 'post-main' },
            h('div', { class: 'body', html: question.body_html }),
            tagList(question.tags, tagNames),
            byline('Asked', question.author, question.created_at))),
        commentsBlock('question', question.id, comments ?? [])),
      duplicates?.length ? h('section', { 'aria-labelledby': 'duplicates-heading' },
        h('h2', { id: 'duplicates-heading' }, 'Duplicates of this question'),
        h('ul', {}, ...duplicates.map((duplicate) => h('li', {}, link(`#/q/${duplicate.id}`, duplicate.title))))) : null,
      h('section', { class: 'answers', 'aria-labelledby': 'answers-heading' },
        h('h2', { id: 'answers-heading' }, plural(answers.length, 'answer')),
        page.accepted_outscored ? h('p', { class: 'notice' }, 'Another answer now scores higher than the accepted one.') : null,
        answers.length ? null : h('p', { class: 'hint' }, 'No answers yet.'),
        ...answers.map((answer) => answerArticle(answer, canAccept))));

    const mode = !me ? 'signed-out' : question.closed ? 'closed' : 'open';
    if (answerBox.dataset.mode !== mode) {
      answerBox.dataset.mode = mode;
      fill(answerBox, ...answerBoxContent(question));
    }

    if (activeKey) {
      const again = content.querySelector(`[data-key="${CSS.escape(activeKey)}"]`);
      if (again) {
        again.focus();
        if (caret && 'setSelectionRange' in again) again.setSelectionRange(caret[0], caret[1]);
      }
    }
  }

  // The answer form stays put across re-renders (a live change must not lose a draft).
  const answerBody = h('textarea', { name: 'body', rows: 8, maxlength: 50000, required: true });
  const answerForm = h('form', { class: 'composer answer-form', novalidate: true },
    field('Your answer', answerBody, 'Markdown works: **bold**, _italic_, `code`, lists, quotes and links.'),
    h('button', { type: 'submit' }, 'Post your answer'));
  answerForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError(answerForm);
    if (!answerBody.value.trim()) return showError(answerForm, { message: 'Write your answer first.', field: 'body' });
    const button = answerForm.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      ownActionAt = Date.now();
      await api('POST', `/api/v1/questions/${id}/answers`, { body: answerBody.value });
      answerBody.value = '';
      announce('Your answer was posted.');
      await refresh();
    } catch (error) {
      showError(answerForm, error);
    } finally {
      button.disabled = false;
    }
    return undefined;
  });
  const answerBox = h('div', { class: 'answer-box' });
  function answerBoxContent(question) {
    if (!me) return [h('p', {}, link(`#/signin?next=/q/${id}`, 'Sign in'), ' to answer.')];
    if (question.closed) return [h('p', { class: 'hint' }, 'This question is closed: it takes no new answers.')];
    return [answerForm];
  }

  // Revisions: read when opened.
  const revisionsBody = h('div', {});
  const revisions = h('details', { class: 'revisions' }, h('summary', {}, 'Revisions'), revisionsBody);
  revisions.addEventListener('toggle', async () => {
    if (!revisions.open) return;
    fill(revisionsBody, h('p', { class: 'hint' }, 'Loading…'));
    try {
      const { revisions: list } = await api('GET', `/api/v1/questions/${id}/revisions`);
      fill(revisionsBody, h('ol', { class: 'revision-list' }, ...list.map((revision) => h('li', {},
        h('p', {}, h('strong', {}, `Revision ${revision.number}`), ' by ', revision.editor?.display_name ?? 'someone', ' ',
          timeElement(revision.created_at), revision.reason ? ` — ${revision.reason}` : ''),
        revision.title ? h('p', { class: 'hint' }, 'Title: ', revision.title) : null,
        revision.diff?.length ? h('pre', { class: 'diff', 'aria-label': `Changes in revision ${revision.number}` },
          ...revision.diff.map((line) => {
            if (line.kind === '+') return h('ins', {}, `+ ${line.text}\n`);
            if (line.kind === '-') return h('del', {}, `- ${line.text}\n`);
            return h('span', {}, `  ${line.text}\n`);
          })) : null))));
    } catch (error) {
      fill(revisionsBody, h('p', { class: 'error' }, error.message));
    }
  });

  // Reads the page again; calls that come while one runs make one more read after it. A page
  // that did not change is not drawn again (a live echo of one's own action changes nothing).
  let reading = false;
  let readAgain = false;
  let drawn = JSON.stringify(page);
  async function refresh() {
    if (gone) return;
    if (reading) {
      readAgain = true;
      return;
    }
    reading = true;
    try {
      do {
        readAgain = false;
        try {
          const fresh = await api('GET', `/api/v1/questions/${id}`);
          if (gone) return;
          const text = JSON.stringify(fresh);
          if (text !== drawn) {
            drawn = text;
            page = fresh;
            render();
          }
        } catch (error) {
          if (gone) return;
          if (error.status === 404) {
            fail('This question is no longer available.');
            return;
          }
          fail(error);
        }
      } while (readAgain);
    } finally {
      reading = false;
    }
  }

  if (gone) return;
  render();
  show(heading,
    community ? h('p', {}, link(`#/c/${community.slug}/forum`, `← Forum — ${community.name}`)) : null,
    pageError, content,
    h('section', { 'aria-labelledby': 'answer-heading' }, h('h2', { id: 'answer-heading' }, 'Write an answer'), answerBox),
    revisions);

  if (!stream) return;

  const SAID = {
    'answer.created': 'A new answer was posted.',
    'comment.created': 'A new comment was posted.',
    'answer.accepted': 'An answer was accepted.',
    'answer.unaccepted': 'The accepted answer is no longer accepted.',
    'answer.edited': 'An answer was edited.',
    'question.edited': 'The question was edited.',
    'question.closed': 'The question was closed.',
    'question.reopened': 'The question was reopened.',
  };
  const onEvent = (event) => {
    const frame = event.detail;
    if (frame.question !== id) return;
    const own = frame.data?.author?.id !== undefined && frame.data.author.id === me?.id
      && (frame.type === 'answer.created' || frame.type === 'comment.created');
    if (SAID[frame.type] && !own && Date.now() - ownActionAt > 2000) announce(SAID[frame.type]);
    // Several changes close together make one read.
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 100);
  };
  const onStatus = (event) => {
    // A new connection follows nothing: follow again, then read what was missed.
    if (event.detail === 'open') follow().then(refresh, () => {});
  };
  stream.addEventListener('question_event', onEvent);
  stream.addEventListener('status', onStatus);
  listeners.push(['question_event', onEvent], ['status', onStatus]);
  if (!confirmedBeforeRead) followed.then((ok) => { if (ok) refresh(); });
}
