// Sign in and register. The server sets an HttpOnly session cookie; the client keeps only the CSRF token.
import { api } from '../api.js';
import { h, show, field, showError, clearError } from '../ui.js';

function form(title, fields, submitText, onSubmit, footer) {
  const element = h('form', { novalidate: true }, ...fields, h('button', { type: 'submit' }, submitText));
  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError(element);
    const button = element.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await onSubmit(new FormData(element));
    } catch (error) {
      showError(element, error);
    } finally {
      button.disabled = false;
    }
  });
  show(h('h1', {}, title), element, footer);
  element.querySelector('input')?.focus();
}

export async function signInView(ctx) {
  form('Sign in', [
    field('Email', h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true })),
    field('Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
  ], 'Sign in', async (data) => {
    await api('POST', '/api/v1/auth/login', { email: data.get('email'), password: data.get('password') });
    await ctx.refreshMe();
    ctx.go(ctx.query.get('next') || '/');
  }, h('p', {}, 'New here? ', h('a', { href: '#/register' }, 'Register')));
}

export async function registerView(ctx) {
  form('Register', [
    field('Name', h('input', { name: 'display_name', autocomplete: 'name', required: true })),
    field('Email', h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true })),
    field('Password', h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true }), 'At least 10 characters.'),
    field('Invite code', h('input', { name: 'invite', autocomplete: 'off' }), 'Only if your network registers by invitation.'),
  ], 'Register', async (data) => {
    const body = { display_name: data.get('display_name'), email: data.get('email'), password: data.get('password') };
    if (data.get('invite')) body.invite = data.get('invite');
    // Registering signs in: the answer sets the session cookie.
    await api('POST', '/api/v1/auth/register', body);
    await ctx.refreshMe();
    ctx.go('/');
  }, h('p', {}, 'Have an account? ', h('a', { href: '#/signin' }, 'Sign in')));
}
