// A democratic evaluation in the browser (issue 6, items 3 and 9), against a fresh
// `yardstick serve` (no demo) whose only user is the administrator `office`.
// Started by ../browser.rs with YS_BASE_URL, YS_CHROMIUM, YS_SCREENSHOTS.
//
// The office defines the evaluation in the web form (two cadres, the rater groups and
// grade values of Example F), issues twenty codes for 干部职工 and looks at the printable
// sheet of QR codes, and opens voting. Twenty raters, each in a browser of their own with
// a phone-sized screen and no session, open the address printed under their QR code, grade
// both cadres and cast the ballot; one tries to vote twice and is refused; one first sends
// a ballot that breaks the rules and is told which rule. The results are hidden while
// voting runs; the office closes the evaluation and sees each cadre's score, which the
// script recomputes from the answers it gave. Screenshots: evaluation-NN-*.png.
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const BASE = process.env.YS_BASE_URL || "http://127.0.0.1:8080";
const EXE = process.env.YS_CHROMIUM || "/usr/bin/chromium";
const SHOTS = process.env.YS_SCREENSHOTS || path.join(process.cwd(), "screenshots");
const PASSWORD = "yardstick-evaluation";
const RATERS = 20;
const VALUES = { 优秀: 100, 称职: 80, 基本称职: 60, 不称职: 40 };

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

let shotNo = 0;
async function shot(page, name) {
  shotNo++;
  const file = path.join(SHOTS, `evaluation-${String(shotNo).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log("   screenshot " + file);
}

/** Half away from zero to two decimals, on integers (scores here are exact in cents × 1000). */
function cents(numerator, denominator) {
  // numerator / denominator is the score; both whole numbers.
  const q = Math.floor((numerator * 200 + denominator) / (2 * denominator));
  return (q / 100).toFixed(2);
}

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: EXE,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const problems = [];
  const watch = (page, who) => {
    page.on("console", (m) => { if (m.type() === "error" && !/^Failed to load resource/.test(m.text())) problems.push(who + ": " + m.text()); });
    page.on("pageerror", (e) => problems.push(who + ": " + String(e)));
  };
  try {
    // ---- 1. The office signs in and defines the evaluation in the form.
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "zh-CN" });
    const office = await ctx.newPage();
    watch(office, "office");
    await office.goto(BASE + "/login");
    await office.fill("#username", "office");
    await office.fill("#password", PASSWORD);
    await Promise.all([office.waitForNavigation(), office.click("form[action='/login'] button[type=submit]")]);
    ok(new URL(office.url()).pathname === "/", "the office signs in", office.url());
    ok((await office.textContent(".nav")).includes("民主测评"), "the navigation leads to the evaluations");
    await office.goto(BASE + "/evaluations");
    ok((await office.inputValue("#groups")).includes("干部职工 40%"), "the form starts from the customary groups and weights");
    await office.fill("#key", "mz2026");
    await office.fill("#name", "2026年度县政府领导班子成员民主测评");
    await office.fill("#year", "2026");
    await office.fill("#subjects", "L1 李明 副县长\nL2 王芳 副县长");
    await office.fill("#groups", "干部职工 60%\n考核组 40%");
    await office.fill("#trim_over", "");
    await office.fill("#max_per_ballot", "优秀 1");
    await shot(office, "define");
    await Promise.all([office.waitForNavigation(), office.click("form[action='/evaluations'] button[type=submit]")]);
    ok(new URL(office.url()).pathname === "/evaluations/mz2026", "the evaluation is created", office.url());

    // ---- 2. Twenty codes for 干部职工: the printable sheet of QR codes.
    await office.selectOption("#code-group", "干部职工");
    await office.fill("#code-count", String(RATERS));
    await Promise.all([office.waitForNavigation(), office.click("form[action$='/codes'] button[type=submit]")]);
    const cards = await office.$$eval(".code-card", (cs) => cs.map((c) => ({ code: c.querySelector(".code-text").textContent.trim(), hint: c.querySelector(".code-hint").textContent, qr: !!c.querySelector("svg") })));
    ok(cards.length === RATERS, "twenty codes on the sheet", cards.length);
    ok(cards.every((c) => c.qr && /^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$/.test(c.code)), "each with its QR code and a readable code", cards.slice(0, 2));
    ok(new Set(cards.map((c) => c.code)).size === RATERS, "no two codes alike");
    const urls = cards.map((c) => c.hint.match(/https?:\/\/\S+/)[0]);
    ok(urls.every((u, i) => u.endsWith("/v/" + cards[i].code)), "the address under each QR code is its ballot", urls[0]);
    await shot(office, "codes-sheet");
    await office.emulateMedia({ media: "print" });
    await shot(office, "codes-print");
    await office.emulateMedia({ media: "screen" });

    // Before opening, a code cannot vote.
    const early = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: "zh-CN" });
    const earlyPage = await early.newPage();
    const r0 = await earlyPage.goto(urls[0]);
    ok(r0.status() === 409 && (await earlyPage.textContent("main")).includes("尚未开始"), "before opening the ballot says voting has not begun", r0.status());
    await early.close();

    await office.goto(BASE + "/evaluations/mz2026");
    await Promise.all([office.waitForNavigation(), office.click("form[action$='/open'] button[type=submit]")]);
    ok((await office.textContent(".flash")).includes("已开始投票"), "voting is open");
    ok(!(await office.$("#results")), "no results while voting runs");
    const hidden = await office.request.get(BASE + "/api/v1/evaluations/mz2026/results");
    ok(hidden.status() === 409, "the results API refuses while voting runs", hidden.status());

    // ---- 3. Twenty raters on phones, each with their own browser and no session.
    const grades = Object.keys(VALUES);
    const chosen = [];
    for (let i = 0; i < RATERS; i++) {
      // A spread of answers, at most one 优秀 per ballot (the rule above).
      const l1 = grades[[0, 1, 1, 2, 1][i % 5]];
      const l2 = grades[[1, 0, 2, 1, 3][i % 5]];
      chosen.push([l1, l2]);
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "zh-CN" });
      const page = await phone.newPage();
      watch(page, "rater " + (i + 1));
      const r = await page.goto(urls[i]);
      ok(r.status() === 200, `rater ${i + 1} opens the ballot`, r.status());
      if (i === 0) {
        ok((await page.textContent("h1")).includes("民主测评"), "the ballot names the evaluation");
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        ok(width <= 390, "the ballot fits the phone's width", width);
        await shot(page, "phone-ballot");
        // A ballot breaking the rule: two 优秀.
        await page.click("input[name='a_L1'][value='优秀']");
        await page.click("input[name='a_L2'][value='优秀']");
        await Promise.all([page.waitForNavigation(), page.click(".vote-submit")]);
        ok((await page.textContent(".notice")).includes("超过每票最多 1 人"), "a ballot outside the rules is refused, naming the rule");
        ok(await page.isChecked("input[name='a_L1'][value='优秀']"), "the rater's answers are kept on the page");
        await shot(page, "phone-refused-rule");
      }
      await page.click(`input[name='a_L1'][value='${l1}']`);
      await page.click(`input[name='a_L2'][value='${l2}']`);
      await Promise.all([page.waitForNavigation(), page.click(".vote-submit")]);
      ok((await page.textContent("main")).includes("投票成功"), `rater ${i + 1} casts the ballot`);
      if (i === 0) {
        await shot(page, "phone-done");
        // The same code again.
        const again = await page.goto(urls[0]);
        ok(again.status() === 409 && (await page.textContent("main")).includes("只能投一次"), "a code votes once", again.status());
        await shot(page, "phone-code-used");
      }
      await phone.close();
    }

    // ---- 4. The office closes the evaluation and sees the result.
    await office.goto(BASE + "/evaluations/mz2026");
    ok((await office.textContent("main")).includes(String(RATERS)), "the page counts the ballots cast");
    await Promise.all([office.waitForNavigation(), office.click("form[action$='/close'] button[type=submit]")]);
    ok(!!(await office.$("#results")), "the results appear once closed");
    const rows = await office.$$eval("#results tbody tr", (trs) => trs.map((t) => t.textContent.replace(/\s+/g, " ").trim()));
    // Expected: 干部职工 (60%) mean of the chosen values; 考核组 (40%) cast nothing.
    const expect = [0, 1].map((k) => {
      const sum = chosen.reduce((s, c) => s + VALUES[c[k]], 0);
      return cents(sum * 60, RATERS * 100);
    });
    const text = await office.textContent("#results");
    ok(text.includes("李明") && text.includes(expect[0]), "李明's score is the weighted mean of the answers given", [expect[0], rows]);
    ok(text.includes("王芳") && text.includes(expect[1]), "王芳's score too", [expect[1], rows]);
    ok(text.includes("共收回 " + RATERS), "twenty ballots counted", text.slice(0, 200));
    await shot(office, "results");

    // After closing, a code that was never used cannot vote either (none left here: all twenty voted).
    const late = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, locale: "zh-CN" });
    const latePage = await late.newPage();
    const rl = await latePage.goto(urls[RATERS - 1]);
    ok(rl.status() === 409, "after closing no code can vote", rl.status());
    await late.close();

    ok(problems.length === 0, "no script errors or CSP violations in the console", problems);
    console.log(`browser evaluation: ${checks} checks passed; screenshots in ${SHOTS}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e.check ? e.message : e.stack || String(e));
  process.exit(1);
});
