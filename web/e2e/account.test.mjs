// End to end, registration by invitation and the account's own life against the real server: an
// administrator creates an invitation on Settings; a newcomer signs up with its code (the form
// asks for it); the code does not work twice; the newcomer changes the password (another
// browser's session ends), signs out everywhere, signs in with the new password and deletes the
// account after typing the password, after which it cannot sign in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, newBrowser, shot, signIn, startServer } from './harness.mjs';

const adminEmail = `admin-${Date.now()}@example.com`;
const memberEmail = `member-${Date.now()}@example.com`;
const NEW_PASSWORD = 'a brand new secret';
let server;

before(async () => {
  server = await startServer({ env: { RENDERMART_REGISTRATION: 'invite' } });
  await server.createUser(adminEmail, PASSWORD, { admin: true });
});

after(async () => {
  await server?.stop();
});

async function signUpWithCode(page, email, code) {
  await page.goto(`${server.url}/register`);
  await page.getByLabel('Invitation code').fill(code);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
}

test('an invitation lets one newcomer in, who changes the password, signs out everywhere and deletes the account', async () => {
  const admin = await newBrowser();
  const member = await newBrowser();
  const elsewhere = await newBrowser();
  try {
    await signIn(admin.page, server.url, adminEmail);
    await admin.page.goto(`${server.url}/settings`);
    await admin.page.getByRole('button', { name: 'Create invitation' }).click();
    const code = await admin.page.getByTestId('invitation-code').inputValue();
    assert.ok(code.length >= 16, code);
    await shot(admin.page, '40-invitations');

    await signUpWithCode(member.page, memberEmail, code);
    await member.page.getByRole('heading', { name: 'Create', exact: true }).waitFor();

    await signUpWithCode(elsewhere.page, `second-${memberEmail}`, code);
    await elsewhere.page.getByText(/invitation code is not valid/).waitFor();
    await signIn(elsewhere.page, server.url, memberEmail);

    const { page } = member;
    await page.goto(`${server.url}/settings`);
    const change = page.getByRole('form', { name: 'Change password' });
    await change.getByLabel('Current password').fill(PASSWORD);
    await change.getByLabel('New password').fill(NEW_PASSWORD);
    await change.getByRole('button', { name: 'Change password' }).click();
    await change.getByText(/signed out on every other device/).waitFor();
    await shot(page, '41-account');
    const other = await elsewhere.context.request.get(`${server.url}/api/v1/auth/me`);
    assert.equal(other.status(), 401, 'the other browser was signed out');
    assert.equal((await page.context().request.get(`${server.url}/api/v1/auth/me`)).status(), 200, 'this one was not');

    await page.getByRole('button', { name: 'End all sessions' }).click();
    await page.waitForURL(/\/login$/);
    await page.getByLabel('E-mail').fill(memberEmail);
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back where the session ended.
    await page.getByRole('heading', { name: 'Settings', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Delete account…' }).click();
    const confirm = page.getByRole('form', { name: 'Delete account' });
    await confirm.getByLabel('Your password').fill(NEW_PASSWORD);
    await confirm.getByRole('button', { name: 'Delete my account' }).click();
    await page.waitForURL(/\/login$/);
    await page.getByLabel('E-mail').fill(memberEmail);
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/Wrong e-mail or password/).waitFor();
  } finally {
    await admin.close();
    await member.close();
    await elsewhere.close();
  }
});
