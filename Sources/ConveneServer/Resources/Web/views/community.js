// A community's home: its channels, forum, calls, committees and members.
import { api } from '../api.js';
import { h, show, link, announce } from '../ui.js';

export async function communityView(ctx, slug) {
  const detail = await api('GET', `/api/v1/communities/${slug}`);
  const { community } = detail;
  const actions = h('div', { class: 'actions' });
  if (ctx.me && !detail.joined && community.visibility === 'public') {
    actions.append(h('button', {
      type: 'button',
      onclick: async (event) => {
        event.target.disabled = true;
        await api('POST', `/api/v1/communities/${slug}/join`);
        await ctx.refreshMe();
        announce(`You joined ${community.name}.`);
        await communityView(ctx, slug);
      },
    }, `Join ${community.name}`));
  } else if (!ctx.me) {
    actions.append(h('p', {}, link(`#/signin?next=/c/${slug}`, 'Sign in'), ' to take part.'));
  }
  const channels = h('section', { 'aria-labelledby': 'channels-heading' }, h('h2', { id: 'channels-heading' }, 'Channels'),
    detail.channels.length
      ? h('ul', { class: 'channels' }, ...detail.channels.map((channel) =>
        h('li', {}, link(`#/c/${slug}/ch/${channel.id}`, `# ${channel.name}`),
          channel.unread_count ? h('span', { class: 'badge unread', 'aria-label': `${channel.unread_count} unread` }, String(channel.unread_count)) : null,
          channel.private ? h('span', { class: 'badge' }, 'private') : null,
          h('span', { class: 'topic' }, channel.topic))))
      : h('p', {}, detail.joined ? 'No channels yet.' : 'Join the community to read its channels.'));
  const staff = ['moderator', 'lead', 'admin'].includes(detail.your_role);
  const places = h('section', { 'aria-labelledby': 'places-heading' }, h('h2', { id: 'places-heading' }, 'Forum and calls'),
    h('ul', {}, h('li', {}, link(`#/c/${slug}/forum`, 'Forum: questions and accepted answers')),
      h('li', {}, link(`#/c/${slug}/calls`, `Calls: ${detail.call_series.map((series) => series.title).join(', ') || 'none scheduled'}`)),
      staff ? h('li', {}, link(`#/c/${slug}/moderation`, 'Moderation: review queue, held messages, watched words')) : null,
      ['lead', 'admin'].includes(detail.your_role) ? h('li', {}, link(`#/c/${slug}/audit`, 'Audit log')) : null));
  const committees = h('section', { 'aria-labelledby': 'committees-heading' }, h('h2', { id: 'committees-heading' }, 'Committees'),
    h('ul', {}, ...detail.committees.map((committee) => h('li', {}, h('strong', {}, committee.name), ' — ', committee.purpose ?? ''))));
  const organizations = h('section', { 'aria-labelledby': 'organizations-heading' }, h('h2', { id: 'organizations-heading' }, 'Partner organizations'),
    h('ul', {}, ...detail.organizations.map((organization) => h('li', {}, organization.name, organization.city ? `, ${organization.city}` : ''))));
  const members = h('section', { 'aria-labelledby': 'members-heading' }, h('h2', { id: 'members-heading' }, 'Members'));
  show(h('h1', {}, community.name),
    h('p', {}, h('span', { class: `badge level-${community.readiness.toLowerCase()}` }, community.readiness), ' ', community.description),
    actions, channels, places, members, committees, organizations);
  if (detail.joined) {
    try {
      const list = await api('GET', `/api/v1/communities/${slug}/members`);
      members.append(h('ul', { class: 'members' }, ...list.members.map((member) =>
        h('li', {}, member.user.display_name, member.role !== 'member' ? h('span', { class: 'badge' }, member.role) : null))));
    } catch (_) {
      members.append(h('p', {}, 'Members are listed for members.'));
    }
  } else {
    members.append(h('p', {}, `${community.member_count} members.`));
  }
}
