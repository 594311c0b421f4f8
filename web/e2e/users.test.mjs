// End to end: an administrator's Users page against the real server (usage bars, a user's own
// limit, disabling an account, which ends its session at once) and a user's usage on Settings;
// on a 390px phone too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, newBrowser, shot, signIn, signUp, startServer } from './harness.mjs';

const adminEmail = `admin-${Date.now()}@example.com`;
const userEmail = `user-${Date.now()}@example.com`;
let server;

before(async () => {
  server = await startServer();
  await server.createUser(adminEmail, PASSWORD, { admin: true });
});

after(async () => {
  await server?.stop();
});

async function fitsWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

test('an administrator sets a user\'s limit and disables the account; the user sees usage on Settings and is signed out at once', async () => {
  const member = await newBrowser();
  const admin = await newBrowser();
  try {
    await signUp(member.page, server.url, userEmail);
    await member.page.goto(`${server.url}/settings`);
    const jobs = member.page.getByRole('meter', { name: 'Generations in flight' });
    assert.equal(await jobs.getAttribute('aria-valuemax'), '20');
    await member.page.getByRole('meter', { name: 'Storage' }).waitFor();
    await shot(member.page, '30-settings-usage');

    const { page } = admin;
    await signIn(page, server.url, adminEmail);
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    const card = page.getByRole('article', { name: userEmail });
    await card.getByRole('button', { name: 'Edit limits' }).click();
    await card.getByRole('spinbutton', { name: 'Generations in flight' }).fill('2');
    await card.getByRole('button', { name: 'Save limits' }).click();
    await card.getByRole('meter', { name: 'Generations in flight' }).and(page.locator('[aria-valuemax="2"]')).waitFor();
    await shot(page, '31-users');

    await member.page.reload();
    assert.equal(await member.page.getByRole('meter', { name: 'Generations in flight' }).getAttribute('aria-valuemax'), '2');

    await card.getByRole('button', { name: 'Disable account' }).click();
    await card.getByText('Disabled', { exact: true }).waitFor();
    const refused = await member.context.request.get(`${server.url}/api/v1/images`);
    assert.equal(refused.status(), 401, 'the session stops working at once');
    assert.match((await refused.json()).error.message, /disabled/);

    await card.getByRole('button', { name: 'Enable account' }).click();
    await card.getByRole('button', { name: 'Disable account' }).waitFor();
  } finally {
    await member.close();
    await admin.close();
  }
});

test('on a phone the Users page fits the screen', async () => {
  const phone = await newBrowser({ width: 390, height: 844 });
  try {
    const { page } = phone;
    await signIn(page, server.url, adminEmail);
    await page.goto(`${server.url}/users`);
    await page.getByTestId('admin-user').first().waitFor();
    await page.getByTestId('admin-user').first().getByRole('button', { name: 'Edit limits' }).click();
    assert.ok(await fitsWidth(page), 'Users fits 390px');
    await shot(page, '32-phone-users');
  } finally {
    await phone.close();
  }
});
