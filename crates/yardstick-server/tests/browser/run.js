// Drives a running `yardstick serve --demo` in Debian's headless Chromium through
// playwright-core (no browser download). Started by ../browser.rs, which passes:
//   YS_BASE_URL     http://127.0.0.1:PORT
//   YS_CHROMIUM     the browser executable (default /usr/bin/chromium)
//   YS_SCREENSHOTS  where to save the PNGs
// Prints one line per check and exits non-zero on the first failure.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const BASE = process.env.YS_BASE_URL || "http://127.0.0.1:8080";
const EXE = process.env.YS_CHROMIUM || "/usr/bin/chromium";
const SHOTS = process.env.YS_SCREENSHOTS || path.join(process.cwd(), "screenshots");
const PASSWORD = "yardstick-demo";

let checks = 0;
function ok(cond, what, detail) {
  if (!cond) {
    const err = new Error("FAILED: " + what + (detail !== undefined ? " — " + JSON.stringify(detail) : ""));
    err.check = true;
    throw err;
  }
  checks++;
  console.log("ok " + checks + " - " + what);
}

async function shot(page, name, fullPage = true) {
  const file = path.join(SHOTS, name + ".png");
  await page.screenshot({ path: file, fullPage });
  console.log("   screenshot " + file);
}

/** Waits for every chart on the page to be drawn and returns, for each, its size and how many of its pixels are not blank. */
async function chartsDrawn(page) {
  await page.waitForFunction(() => {
    const charts = document.querySelectorAll("[data-chart]");
    return charts.length > 0 && Array.prototype.every.call(charts, (c) => c.getAttribute("data-chart-ready") && c.querySelector("canvas"));
  }, null, { timeout: 20000 });
  await page.waitForTimeout(900); // ECharts animates for 400 ms
  return page.$$eval("[data-chart] canvas", (canvases) =>
    canvases.map((cv) => {
      const ctx = cv.getContext("2d");
      const { data } = ctx.getImageData(0, 0, cv.width, cv.height);
      let inked = 0;
      for (let i = 0; i < data.length; i += 4 * 7) {
        const a = data[i + 3];
        if (a > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) inked++;
      }
      const r = cv.getBoundingClientRect();
      return { width: Math.round(r.width), height: Math.round(r.height), inked };
    })
  );
}

async function signIn(page, user, { lang = "zh" } = {}) {
  await page.goto(BASE + "/");
  ok(new URL(page.url()).pathname === "/login", `${user}: an unauthenticated visit lands on the sign-in page`, page.url());
  if (lang === "zh") ok((await page.getAttribute("html", "lang")) === "zh-CN", `${user}: the sign-in page is Chinese by default`);
  await page.fill("#username", user);
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("form[action='/login'] button[type=submit]")]);
  ok(new URL(page.url()).pathname === "/", `${user}: signed in and on the dashboard`, page.url());
}

async function signOut(page) {
  await Promise.all([page.waitForNavigation(), page.click("form[action='/logout'] button")]);
  ok(new URL(page.url()).pathname === "/login", "signing out returns to the sign-in page", page.url());
}

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "ys-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: EXE,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1366, height: 900 },
    locale: "zh-CN",
  });
  const problems = [];
  // Script errors, CSP violations and failed sub-resources (pages refused on purpose are
  // checked by their status instead, so the console's "Failed to load resource" for a
  // document is not a problem).
  const watch = (page) => {
    page.on("console", (m) => { if (m.type() === "error" && !/^Failed to load resource/.test(m.text())) problems.push(m.text()); });
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("response", (r) => { if (r.request().resourceType() !== "document" && r.status() >= 400) problems.push(r.status() + " " + r.url()); });
  };
  try {
    const page = context.pages()[0] || (await context.newPage());
    watch(page);

    // ---- The administrator, in Chinese.
    await page.goto(BASE + "/login?next=/results");
    await page.fill("#username", "admin");
    await page.fill("#password", "wrong-password");
    await Promise.all([page.waitForNavigation(), page.click("form[action='/login'] button[type=submit]")]);
    ok((await page.textContent("#login-error")).includes("用户名或密码错误"), "a wrong password is reported next to the form, in Chinese");
    ok((await page.inputValue("#username")) === "admin", "the typed user name is kept after an error");
    await shot(page, "00-login-error-zh", false);

    await signIn(page, "admin");
    ok((await page.textContent("h1")).includes("2026年11月"), "the dashboard opens on the latest published month", await page.textContent("h1"));
    const boards = await page.$$("section.board");
    ok(boards.length === 7, "the administrator sees every category's board", boards.length);
    const charts = await chartsDrawn(page);
    ok(charts.length >= 14 && charts.every((c) => c.width > 200 && c.height >= 200 && c.inked > 200), "every ranking and trend chart is drawn on a non-empty canvas", charts.slice(0, 4));
    const pendingNote = await page.textContent(".notice.warn");
    ok(pendingNote.includes("已计算、尚未发布") && pendingNote.includes("2026年12月"), "the office sees that December is computed but not published", pendingNote);
    ok(await page.isVisible(".notice.warn a[href*='period=2026-12'][href*='preview=1']"), "with a link to its preview");
    ok(await page.isVisible("text=各期状态（考评办可见）"), "the office sees each period's status");
    const remind = await page.textContent(".reminder");
    ok(remind.includes("2026年11月数据报送截止") && remind.includes("个单位尚未报送") && remind.includes("份报送待审核"), "the office's dashboard says what is due this month", remind);
    await shot(page, "01-dashboard-admin-zh");
    const adminLinks = await page.$$eval("section.board details table a", (as) => as.map((a) => a.getAttribute("href")));
    ok(adminLinks.length >= 80, "the board tables link every unit's explanation", adminLinks.length);

    // The full results table of the first category.
    await Promise.all([page.waitForNavigation(), page.click("section.board >> nth=0 >> text=完整结果表")]);
    ok(new URL(page.url()).pathname === "/results", "the board links to the full results table", page.url());
    const rows = await page.$$("#results-table tbody tr");
    ok(rows.length >= 5, "the results table lists the category's units", rows.length);
    const head = await page.$$eval("#results-table thead th", (ths) => ths.map((t) => t.textContent.trim()));
    ok(head[0].startsWith("名次") && head[2].startsWith("得分") && head[3].startsWith("等次") && head[5].startsWith("较上期"), "the table has rank, score, grade and change columns", head);
    const scores = await page.$$eval("#results-table tbody td:nth-child(3)", (tds) => tds.map((t) => t.textContent.trim()));
    ok(scores.every((s) => /^\d+\.\d\d$/.test(s)), "scores are written with two decimals", scores.slice(0, 3));
    const align = await page.$eval("#results-table tbody td:nth-child(3)", (td) => getComputedStyle(td).textAlign);
    ok(align === "right", "scores are right-aligned", align);
    ok((await page.$$("#results-table .badge")).length === rows.length, "every grade is a word in a badge");
    ok((await page.$$("#results-table .up, #results-table .down, #results-table .same")).length > 0, "the change since the previous month is shown");
    // Sorting by score, then back by rank.
    await page.click("#results-table thead th:nth-child(3) button");
    ok((await page.getAttribute("#results-table thead th:nth-child(3)", "aria-sort")) === "ascending", "a click sorts by score");
    await page.click("#results-table thead th:nth-child(1) button");
    await page.fill("#filter", "zzz-no-such-unit");
    ok((await page.$$("#results-table tbody tr:not([hidden])")).length === 0, "the filter hides rows that do not match");
    await page.fill("#filter", "");
    await shot(page, "02-results-admin-zh");

    // Drill down to the first unit's explanation.
    const firstScore = page.locator("#results-table tbody tr >> nth=0 >> td:nth-child(3) a");
    const unitName = (await page.textContent("#results-table tbody tr >> nth=0 >> td:nth-child(2)")).trim();
    await Promise.all([page.waitForNavigation(), firstScore.click()]);
    ok(/^\/results\/demo-2026\/2026-\d\d\/[^/]+$/.test(new URL(page.url()).pathname), "a score links to its explanation", page.url());
    const h1 = await page.textContent("h1");
    ok(h1.includes(unitName) && h1.includes("得分说明"), "the explanation names the unit", h1);
    for (const section of ["各项指标", "扣分与加分记录及原因", "合计与系数", "名次与等次", "完整文字说明", "本期发布记录"]) {
      ok(await page.isVisible(`h2:has-text("${section}")`), `the explanation has the section “${section}”`);
    }
    const indicatorRows = await page.$$(".explain-table tbody tr");
    ok(indicatorRows.length >= 10, "the indicators table lists each indicator with its points", indicatorRows.length);
    ok((await page.textContent("pre.explain-text")).includes("公布得分"), "the full text explanation is in Chinese");
    await shot(page, "03-explain-admin-zh");

    // English.
    await Promise.all([page.waitForNavigation(), page.click(".topbar .lang a[lang=en]")]);
    ok((await page.getAttribute("html", "lang")) === "en", "the language switch turns the page into English");
    ok(/explanation/.test(await page.textContent("h1")), "the heading is in English", await page.textContent("h1"));
    for (const t of ["1. Indicators: inputs → method → points", "4. Rank and grade", "Publications of this period", "Sign out", "Dashboard", "Results"]) {
      ok(await page.isVisible(`text=${t}`), `English text “${t}” is shown`);
    }
    ok((await page.textContent("pre.explain-text")).includes("published score"), "the full text explanation is in English");
    await shot(page, "04-explain-admin-en");
    await page.goto(BASE + "/");
    await chartsDrawn(page);
    ok((await page.textContent("h1")).includes("Nov 2026"), "the dashboard is in English too", await page.textContent("h1"));
    await shot(page, "05-dashboard-admin-en");
    await page.goto(BASE + "/admin/users");
    ok(await page.isVisible("text=New user"), "the users page is in English");
    await shot(page, "06-users-admin-en");

    // Administration forms: the error next to its field, in the user's language, nothing typed lost.
    const create = async () => (await Promise.all([page.waitForNavigation(), page.click("#new form button[type=submit]")]))[0];
    await page.fill("#nu-username", "ui-test-user");
    await page.fill("#nu-name", "界面测试");
    await page.selectOption("#nu-role", "viewer");
    await page.fill("#nu-password", "short");
    let r = await create();
    ok(r.status() === 422 && (await page.textContent("#nu-password-err")).includes("at least 10 characters"), "a weak password is refused next to its field, in English", r.status());
    ok((await page.inputValue("#nu-username")) === "ui-test-user" && (await page.inputValue("#nu-name")) === "界面测试" && (await page.inputValue("#nu-role")) === "viewer", "what was typed is kept");
    ok((await page.getAttribute("#nu-password", "aria-invalid")) === "true", "the field is marked invalid");
    await page.fill("#nu-username", "reporter");
    await page.fill("#nu-password", "long-enough-password");
    r = await create();
    ok(r.status() === 409 && (await page.textContent("#nu-username-err")).includes("taken"), "a taken user name is refused next to its field (409)", r.status());
    await shot(page, "06b-users-form-error-en", false);
    await page.fill("#nu-username", "ui-test-user");
    r = await create();
    ok(new URL(page.url()).pathname === "/admin/users" && (await page.textContent(".flash")).includes("ui-test-user"), "a valid form creates the user and says so");
    const row = page.locator("tr", { hasText: "ui-test-user" });
    const before = page.url();
    await row.locator("button", { hasText: "Disable" }).click();
    await page.waitForFunction(() => Array.from(document.querySelectorAll("tr")).some((t) => t.textContent.includes("ui-test-user") && t.textContent.includes("disabled")));
    ok(page.url() === before, "disabling a user swaps its row in place (htmx, no reload)");
    await row.locator("button", { hasText: "Enable" }).click();
    await page.waitForFunction(() => Array.from(document.querySelectorAll("tr")).some((t) => t.textContent.includes("ui-test-user") && t.textContent.includes("active")));
    ok(true, "and enabling it again");
    await page.goto(BASE + "/admin/units");
    await page.fill("#u-key", "bad key!");
    r = (await Promise.all([page.waitForNavigation(), page.click("#new form button[type=submit]")]))[0];
    ok(r.status() === 422 && (await page.isVisible("#u-key-err")) && (await page.isVisible("#u-name-err")), "a unit form with a bad key and no name shows both errors", r.status());
    ok((await page.inputValue("#u-key")) === "bad key!", "the typed key is kept");
    await shot(page, "06c-units-form-error-en", false);
    await page.goto(BASE + "/audit");
    ok((await page.textContent(".flash")).includes("hash chain is whole"), "the audit page verifies the hash chain");
    ok((await page.$$("#audit-table tbody tr")).length > 5, "and lists the latest rows");
    await signOut(page);
    ok(await page.isVisible("text=You have signed out."), "the sign-in page says so, in English");
    await Promise.all([page.waitForNavigation(), page.click(".lang a[lang=zh-CN]")]);
    ok((await page.getAttribute("html", "lang")) === "zh-CN", "back to Chinese");

    // ---- A unit's reporter: only its own category, only published results, only its own explanation.
    await signIn(page, "reporter");
    const rBoards = await page.$$("section.board");
    ok(rBoards.length === 1, "the reporter sees only its own category's board", rBoards.length);
    ok(await page.isVisible("text=本单位本期结果"), "the reporter sees its own unit's result");
    const rCharts = await chartsDrawn(page);
    ok(rCharts.length === 2 && rCharts.every((c) => c.inked > 200), "the reporter's ranking and trend charts are drawn", rCharts);
    const body = await page.textContent("body");
    ok(!body.includes("预览") && !body.includes("2026年12月") && !body.includes("各期状态"), "nothing unpublished is shown to a unit");
    const periodsOffered = await page.$$eval("select[name=period] option", (os) => os.map((o) => o.textContent));
    ok(!periodsOffered.some((p) => p.includes("12月") || p.includes("未发布")), "the period list holds published periods only", periodsOffered);
    ok((await page.$$(".reminder")).length === 0, "a unit whose month is accepted gets no reminder");
    await shot(page, "07-dashboard-reporter-zh");
    const ownHref = await page.getAttribute(".own-summary a.btn", "href");
    const rLinks = await page.$$eval("section.board details table a", (as) => as.map((a) => a.getAttribute("href")));
    ok(rLinks.length === 1 && rLinks[0] === ownHref, "only the reporter's own unit links to an explanation", rLinks);
    await Promise.all([page.waitForNavigation(), page.click(".own-summary a.btn")]);
    ok((await page.textContent("h1")).includes("得分说明"), "the reporter opens its own explanation");
    const other = adminLinks.find((h) => h !== ownHref && h.split("/")[3] === ownHref.split("/")[3]);
    let resp = await page.goto(BASE + other);
    ok(resp.status() === 403, "another unit's explanation is refused (403)", { other, status: resp.status() });
    ok((await page.textContent("h1")).includes("无权访问") && (await page.isVisible("text=返回首页")), "the refusal is a page with a way back");
    await shot(page, "08-refused-reporter-zh", false);
    resp = await page.goto(BASE + "/results?plan=demo-2026&period=2026-12&preview=1");
    ok(resp.status() === 403, "the reporter cannot open a preview", resp.status());
    resp = await page.goto(BASE + "/results?plan=demo-2026&period=2026-12");
    ok(resp.status() === 404, "an unpublished month does not exist for the reporter", resp.status());

    // ---- The monthly cycle: a responsible department reviews November's submissions.
    await page.goto(BASE + "/");
    await signOut(page);
    await signIn(page, "dept");
    await Promise.all([page.waitForNavigation(), page.click("nav >> text=数据报送")]);
    ok((await page.textContent("h1")).includes("2026年11月") && (await page.textContent(".meta")).includes("报送截止"), "the submissions page opens on the month being collected, with its deadline");
    const subRows = await page.$$("#submissions-table tbody tr");
    ok(subRows.length === 90, "the department sees every unit's submission", subRows.length);
    const waiting = page.locator("#submissions-table tbody tr", { has: page.locator("button[value=return]") });
    const waitingBefore = await waiting.count();
    ok(waitingBefore > 0, "some submissions await review", waitingBefore);
    const firstWaiting = waiting.first();
    const waitingName = (await firstWaiting.locator("td").first().textContent()).trim();
    // A return without a reason: the browser asks for one; without the browser's check the server refuses it.
    await firstWaiting.locator("input[name=reason]").evaluate((e) => e.removeAttribute("required"));
    r = (await Promise.all([page.waitForNavigation(), firstWaiting.locator("button[value=return]").click()]))[0];
    ok(r.status() === 422 && (await page.textContent(".notice.danger")).includes("退回须写明原因"), "a return without a reason is refused with a message", r.status());
    await shot(page, "11-submissions-refused-zh", false);
    const again = page.locator("#submissions-table tbody tr", { hasText: waitingName.split(" ")[0] });
    await again.locator("input[name=reason]").fill("GDP 与统计快报不符，请核实后重新报送");
    await Promise.all([page.waitForNavigation(), again.locator("button[value=return]").click()]);
    ok((await page.textContent(".flash")).includes("退回修改"), "a return with a reason is done and said");
    const returnedRow = page.locator("#submissions-table tbody tr", { hasText: "GDP 与统计快报不符" });
    ok((await returnedRow.count()) === 1 && (await returnedRow.textContent()).includes("已退回"), "the unit's row shows it returned, with the reason");
    await Promise.all([page.waitForNavigation(), waiting.first().locator("button[value=accept]").click()]);
    ok((await page.textContent(".flash")).includes("审核通过") && (await waiting.count()) === waitingBefore - 2, "accepting one leaves one fewer waiting");
    await shot(page, "12-submissions-dept-zh", false);
    await signOut(page);
    // The unit leader sees its own unit only.
    await signIn(page, "leader");
    await page.goto(BASE + "/submissions");
    ok((await page.$$("#submissions-table tbody tr")).length === 1, "a unit leader sees only its own unit's submission");
    await shot(page, "13-submissions-leader-zh", false);

    // The reporter fills December: a wrong figure is refused next to its field, nothing
    // is saved; a right one is saved.
    await signOut(page);
    await signIn(page, "reporter");
    await page.goto(BASE + "/entry?period=2026-12");
    ok((await page.textContent("h1")).includes("数据填报") && (await page.$$("#entry-table input")).length > 20, "the reporter's data entry lists the unit's fields of the month");
    const field = page.locator("#entry-table input").first();
    const fieldId = await field.getAttribute("id");
    const kept = await page.inputValue("#entry-table input >> nth=1");
    await field.fill("abc");
    await page.fill("#entry-table input >> nth=1", "77.7");
    r = (await Promise.all([page.waitForNavigation(), page.click("form[action='/entry'] button[type=submit]")]))[0];
    ok(r.status() === 422 && (await page.textContent("#" + fieldId + "-err")).includes("不是数字"), "a wrong figure is refused next to its field (422)", r.status());
    ok((await page.inputValue("#" + fieldId)) === "abc" && (await page.inputValue("#entry-table input >> nth=1")) === "77.7", "what was typed is kept");
    await shot(page, "14-entry-error-zh", false);
    await page.goto(BASE + "/entry?period=2026-12");
    ok((await page.inputValue("#entry-table input >> nth=1")) === kept, "nothing of the refused form was saved");
    await page.fill("#" + fieldId, "123.45");
    await Promise.all([page.waitForNavigation(), page.click("form[action='/entry'] button[type=submit]")]);
    ok((await page.textContent(".flash")).includes("已保存") && (await page.inputValue("#" + fieldId)) === "123.45", "a right figure is saved and shown");
    await page.goto(BASE + "/entry?period=2026-10");
    ok((await page.$$("#entry-table input:not([disabled])")).length === 0 && (await page.textContent("body")).includes("已锁定"), "an accepted month is shown locked");

    await oversightChecks(page);

    // ---- A phone-sized screen (375 × 812), as leaders use it.
    await page.goto(BASE + "/");
    await signOut(page);
    const phone = await context.newPage();
    watch(phone);
    await phone.setViewportSize({ width: 375, height: 812 });
    await signIn(phone, "viewer");
    const pCharts = await chartsDrawn(phone);
    ok(pCharts.every((c) => c.width <= 375 && c.width >= 300 && c.inked > 200), "charts take the phone's full width", pCharts.slice(0, 2));
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    ok(overflow <= 0, "the dashboard does not scroll sideways on a phone", overflow);
    const navBottom = await phone.$eval(".topbar", (e) => e.getBoundingClientRect().height);
    ok(navBottom < 200, "the top bar wraps into a few lines", navBottom);
    await shot(phone, "09-dashboard-phone-zh");
    await shot(phone, "09b-dashboard-phone-zh-top", false);
    await Promise.all([phone.waitForNavigation(), phone.click("section.board >> nth=0 >> text=完整结果表")]);
    const wrap = await phone.$eval(".table-wrap", (e) => ({ client: e.clientWidth, scroll: e.scrollWidth, page: document.documentElement.scrollWidth }));
    ok(wrap.page <= 375 && wrap.scroll >= wrap.client, "the results table scrolls inside its frame on a phone", wrap);
    await shot(phone, "10-results-phone-zh", false);
    await phone.close();

    ok(problems.length === 0, "no script errors or CSP violations in the console", problems);
    console.log(`browser: ${checks} checks passed; screenshots in ${SHOTS}`);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// ==== Monitoring, warnings, rectification and consequences (M14, M15) ===================
// A section of its own: the unit leader acknowledges a warning notice and files a
// rectification report (a blank one first), the office reads the monthly monitoring report,
// closes the task and decides follow-ups of the third quarter. Starts signed in as anyone;
// ends signed in as the office's staff.
async function oversightChecks(page) {
  await page.goto(BASE + "/");
  await signOut(page);
  await signIn(page, "leader");
  await Promise.all([page.waitForNavigation(), page.click("nav >> text=预警与整改")]);
  ok((await page.textContent("h1")).includes("预警与整改") && (await page.textContent("h1")).includes("2026年11月"), "the warnings page opens on the latest published month", await page.textContent("h1"));
  await page.goto(BASE + "/oversight?period=2026-10");
  const notices = page.locator("article.official.warning");
  ok((await notices.count()) >= 1 && (await notices.first().textContent()).includes("预警通知单") && (await notices.first().textContent()).includes("演示县考核办"), "the unit's warning notices read as official notices, with the issuing office");
  await Promise.all([page.waitForNavigation(), notices.first().locator("button", { hasText: "签收" }).click()]);
  ok((await page.textContent(".flash")).includes("已签收") && (await notices.first().textContent()).includes("签收："), "the leader acknowledges a notice and the page says by whom and when");
  const task = page.locator("#tasks-table tbody tr", { has: page.locator("textarea[name=report]") }).first();
  const taskId = await task.getAttribute("id");
  await task.locator("textarea[name=report]").evaluate((e) => e.removeAttribute("required"));
  let r = (await Promise.all([page.waitForNavigation(), task.locator("button[type=submit]").click()]))[0];
  ok(r.status() === 422 && (await page.textContent(".notice.danger")).includes("须填写整改报告"), "a blank rectification report is refused with a message (422)", r.status());
  await page.fill(`#${taskId} textarea[name=report]`, "已召开专题会议分析原因，制定整改措施三项，已完成两项。");
  await Promise.all([page.waitForNavigation(), page.click(`#${taskId} button[type=submit]`)]);
  ok((await page.textContent(".flash")).includes("整改报告已报送") && (await page.textContent("#" + taskId)).includes("已报送整改报告"), "the report is filed and the task shows it");
  await shot(page, "15-oversight-leader-zh");
  await signOut(page);

  await signIn(page, "staff");
  await Promise.all([page.waitForNavigation(), page.click("nav >> text=监测报告")]);
  ok((await page.textContent("h1")).includes("月度监测报告"), "the monthly monitoring report is one click from the navigation", await page.textContent("h1"));
  await page.goto(BASE + "/monitoring?period=2026-10");
  const lagging = await page.$$("table.monitoring tr.lagging");
  ok(lagging.length > 0 && (await page.textContent("table.monitoring")).includes("低于目标"), "lagging lines are marked, in words", lagging.length);
  await shot(page, "16-monitoring-staff-zh", false);
  await page.goto(BASE + "/oversight?period=2026-10");
  await Promise.all([page.waitForNavigation(), page.click(`#${taskId} button[value=close]`)]);
  ok((await page.textContent(".flash")).includes("已销号") && (await page.textContent("#" + taskId)).includes("已销号"), "the office closes the reported task");
  await page.goto(BASE + "/oversight?period=2026-Q3");
  const proposed = page.locator("#follow-table tbody tr", { has: page.locator("button[value=confirm]") });
  const before = await proposed.count();
  ok(before >= 7, "the third quarter's reminder talks await the office", before);
  r = (await Promise.all([page.waitForNavigation(), proposed.first().locator("button[value=dismiss]").click()]))[0];
  ok(r.status() === 422 && (await page.textContent(".notice.danger")).includes("须填写意见"), "dismissing a follow-up needs a note (422)", r.status());
  await Promise.all([page.waitForNavigation(), proposed.first().locator("button[value=confirm]").click()]);
  ok((await page.textContent(".flash")).includes("已确认") && (await proposed.count()) === before - 1, "the office confirms a follow-up");
  await shot(page, "17-follow-ups-staff-zh", false);
}

main().catch((e) => {
  console.error(e.check ? e.message : e.stack || String(e));
  process.exit(1);
});
