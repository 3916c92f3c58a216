// The network home: the status report as a tile-grid map of the states, and the communities by state.
import { api } from '../api.js';
import { h, show, link } from '../ui.js';

// Each state's place on a tile grid (column, row): the usual US tile-map layout, no map data needed.
const TILES = {
  AK: [0, 0], ME: [11, 0], VT: [10, 1], NH: [11, 1], WA: [1, 2], ID: [2, 2], MT: [3, 2], ND: [4, 2], MN: [5, 2], IL: [6, 2], WI: [7, 2],
  MI: [8, 2], NY: [9, 2], MA: [10, 2], RI: [11, 2], OR: [1, 3], NV: [2, 3], WY: [3, 3], SD: [4, 3], IA: [5, 3], IN: [6, 3], OH: [7, 3],
  PA: [8, 3], NJ: [9, 3], CT: [10, 3], CA: [1, 4], UT: [2, 4], CO: [3, 4], NE: [4, 4], MO: [5, 4], KY: [6, 4], WV: [7, 4], VA: [8, 4],
  MD: [9, 4], DE: [10, 4], AZ: [2, 5], NM: [3, 5], KS: [4, 5], AR: [5, 5], TN: [6, 5], NC: [7, 5], SC: [8, 5], DC: [9, 5], OK: [4, 6],
  LA: [5, 6], MS: [6, 6], AL: [7, 6], GA: [8, 6], HI: [0, 7], TX: [4, 7], FL: [9, 7], PR: [11, 7],
};

function statusMap(report) {
  const byCode = new Map(report.states.map((state) => [state.code, state]));
  const grid = h('div', { class: 'tilemap', role: 'list', 'aria-label': 'States by readiness' });
  for (const [code, [column, row]] of Object.entries(TILES)) {
    const state = byCode.get(code);
    const level = state?.readiness ? state.readiness.toLowerCase() : 'none';
    const label = state
      ? `${state.name}: ${state.readiness ?? 'no community yet'}, ${state.communities.length} ${state.communities.length === 1 ? 'community' : 'communities'}, ${state.organizations} organizations, ${state.members} members`
      : `${code}: not in the network`;
    const tile = h('div', { class: `tile level-${level} col-${column + 1} row-${row + 1}`, role: 'listitem', title: label, 'aria-label': label }, code);
    grid.append(tile);
  }
  const legend = h('ul', { class: 'legend', 'aria-label': 'Readiness levels' },
    ...['Initiating', 'Improving', 'Innovating'].map((level) => h('li', {}, h('span', { class: `swatch level-${level.toLowerCase()}` }), level)),
    h('li', {}, h('span', { class: 'swatch level-none' }), 'Not in the network'));
  return h('section', { 'aria-labelledby': 'status-heading' }, h('h2', { id: 'status-heading' }, 'Status report'), grid, legend,
    h('p', {}, `${report.totals.states} states, ${report.totals.communities} communities, ${report.totals.organizations} organizations.`));
}

export async function homeView(ctx) {
  const [{ communities }, report] = await Promise.all([api('GET', '/api/v1/communities'), api('GET', '/api/v1/status')]);
  const byState = new Map();
  for (const community of communities) {
    const key = community.states.length === 1 ? community.states[0] : 'Across states';
    if (!byState.has(key)) byState.set(key, []);
    byState.get(key).push(community);
  }
  const names = new Map(report.states.map((state) => [state.code, state.name]));
  const keys = [...byState.keys()].sort((a, b) => (names.get(a) ?? a).localeCompare(names.get(b) ?? b));
  const list = h('section', { 'aria-labelledby': 'communities-heading' }, h('h2', { id: 'communities-heading' }, 'Communities'),
    ...keys.map((key) => h('section', { class: 'state' }, h('h3', {}, names.get(key) ?? key),
      h('ul', {}, ...byState.get(key).map((community) =>
        h('li', {}, link(`#/c/${community.slug}`, community.name), ' ',
          h('span', { class: `badge level-${community.readiness.toLowerCase()}` }, community.readiness),
          community.visibility === 'private' ? h('span', { class: 'badge' }, 'private') : null))))));
  show(h('h1', {}, 'The network'), statusMap(report), list);
}

export async function statusView(ctx) {
  const report = await api('GET', '/api/v1/status');
  show(h('h1', {}, 'SEL status report'), statusMap(report));
}
