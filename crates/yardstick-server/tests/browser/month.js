// Plays one whole month of the appraisal cycle in the browser (issue 4, item 10), against
// a fresh `yardstick serve` (no demo) whose only user is the administrator `office`.
// Started by ../browser.rs with YS_BASE_URL, YS_CHROMIUM, YS_SCREENSHOTS (see run.js).
//
// The administrator sets up a small county through the API (two categories, five units,
// a plan with the statistics bureau's GDP indicator, the users); then, in the web UI:
// the office opens January and sets the deadline; unit A1 fills, attaches its evidence
// and submits on time; the deadline passes and unit A2 submits late; the statistics
// bureau returns A2's figures with a reason, A2 corrects and submits again, the bureau
// accepts both; the office draws a spot check and records the finding, computes the
// preview, compares it and publishes; A2's leader appeals its GDP score with a file; the
// office routes the appeal to the bureau, which corrects the figure; the period is
// re-published as version 2 and A2 sees its corrected rank, the notice says what changed
// and why, and version 1 stays readable. Screenshots of each step: month-NN-*.png.
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const BASE = process.env.YS_BASE_URL || "http://127.0.0.1:8080";
const EXE = process.env.YS_CHROMIUM || "/usr/bin/chromium";
const SHOTS = process.env.YS_SCREENSHOTS || path.join(process.cwd(), "screenshots");
const PASSWORD = "yardstick-month";
const PLAN = "m2027";
const PERIOD = "2027-01";
const Q = `plan=${PLAN}&period=${PERIOD}`;

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
  const file = path.join(SHOTS, `month-${String(shotNo).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log("   screenshot " + file);
}

const PLAN_TOML = `[plan]
key = "${PLAN}"
name = "2027年度月度考核方案"
year = 2027
office = "演示县考评办"

[[grade_sets]]
key = "g"
name = "优秀/良好/一般"
veto_grade = "一般"
grades = [
  { name = "优秀", quota = "34%" },
  { name = "良好", quota = "67%" },
  { name = "一般" },
]

[[categories]]
key = "A"
name = "A类：乡镇"
grade_set = "g"

[[categories]]
key = "B"
name = "B类：县直部门"
grade_set = "g"

[[indicators]]
key = "GDP"
name = "地区生产总值"
unit = "亿元"
source = "县统计局"
method = "completion"
weight = 100
cap = 1.2
`;

/** Beijing time as a datetime-local value, `offsetMs` from now. */
function beijing(offsetMs) {
  return new Date(Date.now() + offsetMs + 8 * 3600 * 1000).toISOString().slice(0, 16);
}

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: EXE,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const problems = [];
  const users = {};
  /** A signed-in page of its own (its own cookies) for each user. */
  async function as(user) {
    if (users[user]) return users[user];
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "zh-CN" });
    const page = await context.newPage();
    page.on("console", (m) => { if (m.type() === "error" && !/^Failed to load resource/.test(m.text())) problems.push(user + ": " + m.text()); });
    page.on("pageerror", (e) => problems.push(user + ": " + String(e)));
    page.on("dialog", (d) => d.accept());
    await page.goto(BASE + "/login");
    await page.fill("#username", user);
    await page.fill("#password", PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click("form[action='/login'] button[type=submit]")]);
    ok(new URL(page.url()).pathname === "/", `${user} signs in`, page.url());
    users[user] = page;
    return page;
  }
  async function go(page, url) {
    const r = await page.goto(BASE + url);
    ok(r.status() === 200, `${url} answers 200`, r.status());
  }
  /** Submits the form a button belongs to and waits for the page that follows. */
  async function press(page, selector) {
    await Promise.all([page.waitForNavigation(), page.click(selector)]);
  }
  async function text(page, selector) {
    return (await page.textContent(selector)) || "";
  }

  try {
    // ---- Setting up through the API, as the office's script would.
    const office = await as("office");
    const csrf = await office.getAttribute("meta[name=csrf-token]", "content");
    const api = async (method, url, data) => {
      const r = await office.request.fetch(BASE + "/api/v1" + url, { method, data, headers: { "X-CSRF-Token": csrf } });
      ok(r.status() < 300, `API ${method} ${url}`, [r.status(), await r.text()]);
      return r.json();
    };
    await api("POST", "/categories", { key: "A", name: "A类：乡镇", sort: 1 });
    await api("POST", "/categories", { key: "B", name: "B类：县直部门", sort: 2 });
    for (const [key, name, category] of [["A1", "城关镇", "A"], ["A2", "高村镇", "A"], ["A3", "河西镇", "A"], ["B1", "县发改局", "B"], ["S1", "县统计局", "B"]]) {
      await api("POST", "/units", { key, name, category, area: null, static_level: null });
    }
    await api("POST", "/plans", { key: PLAN, year: 2027, name: "2027年度月度考核方案" });
    await api("POST", `/plans/${PLAN}/versions`, { toml: PLAN_TOML, note: "第一版" });
    for (const [username, display_name, role, unit] of [
      ["reporter1", "城关镇填报员", "reporter", "A1"], ["leader1", "城关镇镇长", "unit_leader", "A1"],
      ["reporter2", "高村镇填报员", "reporter", "A2"], ["leader2", "高村镇镇长", "unit_leader", "A2"],
      ["stats", "县统计局核查员", "department", "S1"],
    ]) {
      await api("POST", "/users", { username, display_name, role, unit, password: PASSWORD });
    }

    // ---- 1. The office opens January and sets the deadline (tomorrow).
    await go(office, `/desk?${Q}`);
    await shot(office, "desk-not-opened");
    await press(office, "form[action='/desk/open'] button");
    ok((await text(office, ".flash")).includes("已开放"), "the office opened the period");
    await office.fill("#due", beijing(24 * 3600 * 1000));
    await press(office, "form[action='/desk/deadline'] button");
    ok((await text(office, "#period-h + ul, section[aria-labelledby=period-h]")).includes("各单位报送"), "the units' deadline is listed");
    await shot(office, "desk-opened");
    // The figures of the units that do not take part in this walk, by the API.
    for (const [unit, actual] of [["A3", "104"], ["B1", "100"], ["S1", "99"]]) {
      await api("PUT", `/plans/${PLAN}/periods/${PERIOD}/units/${unit}/values`, { values: [{ indicator: "GDP", field: "actual", value: actual }, { indicator: "GDP", field: "target", value: "100" }] });
    }

    // ---- 2. A1 fills, attaches its evidence and submits on time.
    const rep1 = await as("reporter1");
    await go(rep1, `/entry?${Q}`);
    await rep1.fill("#f-GDP-actual", "101");
    await rep1.fill("#f-GDP-target", "100");
    await press(rep1, "form[action='/entry'] button[type=submit]");
    ok((await text(rep1, ".flash")).includes("已保存"), "A1's figures are saved");
    await rep1.setInputFiles("#ev-file", { name: "城关镇1月统计快报.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n% 城关镇 1 月统计快报\n%%EOF\n") });
    await Promise.all([rep1.waitForNavigation(), rep1.click("form[data-upload] button[type=submit]")]);
    ok((await text(rep1, "#entry-table")).includes("城关镇1月统计快报.pdf"), "the evidence file is listed next to its indicator");
    await shot(rep1, "a1-entry-with-evidence");
    const lead1 = await as("leader1");
    await go(lead1, `/submissions?${Q}`);
    await press(lead1, "#sub-A1 form[action='/submissions/submit'] button");
    ok((await text(lead1, "#sub-A1")).includes("已报送"), "A1 is submitted");
    ok(!(await text(lead1, "#sub-A1")).includes("迟报"), "A1 is on time");

    // ---- 3. The deadline passes; A2 submits late.
    await go(office, `/desk?${Q}`);
    await office.fill("#due", beijing(-3600 * 1000));
    await press(office, "form[action='/desk/deadline'] button");
    const rep2 = await as("reporter2");
    await go(rep2, `/entry?${Q}`);
    await rep2.fill("#f-GDP-actual", "95");
    await rep2.fill("#f-GDP-target", "100");
    await press(rep2, "form[action='/entry'] button[type=submit]");
    const lead2 = await as("leader2");
    await go(lead2, `/submissions?${Q}`);
    await press(lead2, "#sub-A2 form[action='/submissions/submit'] button");
    ok((await text(lead2, "#sub-A2")).includes("迟报"), "A2's submission after the deadline is marked late");
    await shot(lead2, "a2-submitted-late");

    // ---- 4. The statistics bureau returns A2 with a reason and accepts A1.
    const stats = await as("stats");
    await go(stats, `/submissions?${Q}`);
    await stats.fill("#reason-A2", "GDP 与县统计局1月快报不符（快报为96亿元），请核实后重报");
    await press(stats, "#sub-A2 button[value=return]");
    ok((await text(stats, "#sub-A2")).includes("已退回"), "the bureau returned A2's figures");
    await press(stats, "#sub-A1 button[value=accept]");
    ok((await text(stats, "#sub-A1")).includes("已审核通过"), "the bureau accepted A1's figures");
    await shot(stats, "bureau-returned-a2");
    // A2 corrects and submits again; the bureau accepts.
    await go(rep2, `/entry?${Q}`);
    ok((await rep2.inputValue("#f-GDP-actual")) === "95", "A2's returned figures can be changed again");
    await rep2.fill("#f-GDP-actual", "96");
    await press(rep2, "form[action='/entry'] button[type=submit]");
    await go(lead2, `/submissions?${Q}`);
    await press(lead2, "#sub-A2 form[action='/submissions/submit'] button");
    await go(stats, `/submissions?${Q}`);
    await press(stats, "#sub-A2 button[value=accept]");
    ok((await text(stats, "#sub-A2")).includes("已审核通过"), "the bureau accepted A2's corrected figures");

    // ---- 5. The office spot-checks one submission, with a recorded seed.
    await go(office, `/desk?${Q}`);
    await office.fill("#size", "1");
    await office.fill("#seed", "2027-01 抽查");
    await press(office, "form[action='/desk/draw'] button");
    ok((await text(office, ".spot-check")).includes("2027-01 抽查"), "the draw and its seed are shown");
    await office.fill(".spot-check input[name=finding]", "现场核对统计台账，与报送数据一致");
    await press(office, "form[action='/desk/finding'] button");
    ok((await text(office, ".spot-check")).includes("属实"), "the finding is recorded");
    await shot(office, "desk-spot-check");

    // ---- 6. The office computes the preview, compares, publishes.
    await press(office, "form[action='/desk/compute'] button");
    const rows = await office.$$eval("#compare-table tbody tr", (trs) => trs.map((t) => Array.from(t.cells).map((c) => c.textContent.trim())));
    const rankOf = (rs, unit) => (rs.find((r) => r[0].includes(unit)) || [])[3];
    ok(rankOf(rows, "A3") === "1" && rankOf(rows, "A1") === "2" && rankOf(rows, "A2") === "3", "the preview ranks A3, A1, A2", rows);
    await shot(office, "desk-preview");
    await office.fill("#reason", "2027年1月考核结果发布");
    await office.fill("#appeal_days", "7");
    await press(office, "form[action='/desk/publish'] button");
    ok((await text(office, "section[aria-labelledby=pubs-h]")).includes("2027年1月考核结果发布"), "version 1 is published with its reason");

    // ---- 7. A2's leader sees rank 3 and appeals its GDP score with a file.
    await go(lead2, `/results?${Q}&category=A`);
    const before = await lead2.$$eval("#results-table tbody tr", (trs) => trs.map((t) => t.textContent.replace(/\s+/g, " ").trim()));
    ok(before.some((r) => r.includes("高村镇") && /^3\b/.test(r)), "A2 is third before the appeal", before);
    await go(lead2, `/results/${PLAN}/${PERIOD}/A2`);
    ok((await text(lead2, "#negative-list")).includes("地区生产总值"), "A2's negative list names the GDP indicator");
    await shot(lead2, "a2-explanation");
    await Promise.all([lead2.waitForNavigation(), lead2.click("#negative-list a")]);
    ok(new URL(lead2.url()).pathname === "/appeals", "the negative list leads to the appeal form", lead2.url());
    await lead2.fill("#reason", "县统计局1月快报已修订为106亿元（附修订说明），请按修订数核算");
    await press(lead2, "form[action='/appeals/file'] button");
    ok((await text(lead2, ".flash")).includes("申诉已提交"), "the appeal is filed");
    await lead2.setInputFiles(".appeal input[type=file]", { name: "统计快报修订说明.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n% 修订说明\n%%EOF\n") });
    await Promise.all([lead2.waitForNavigation(), lead2.click("form[data-upload] button[type=submit]")]);
    ok((await text(lead2, ".appeal")).includes("统计快报修订说明.pdf"), "the appeal's file is attached");
    await shot(lead2, "a2-appeal-filed");

    // ---- 8. The office routes it to the bureau; the bureau corrects; the period is re-published.
    await go(office, `/appeals?${Q}`);
    await office.selectOption(".appeal select[name=department]", "S1");
    await press(office, "form[action='/appeals/route'] button");
    ok((await text(office, ".appeal")).includes("县统计局"), "the appeal is with the bureau");
    await go(stats, `/appeals?${Q}`);
    await stats.check(".appeal input[name=outcome][value=corrected]");
    await stats.fill(".appeal textarea[name=changes]", "GDP.actual = 106");
    await stats.fill(".appeal textarea[name=reason]", "经核实，县统计局1月快报修订为106亿元，予以更正");
    await shot(stats, "bureau-answers");
    await press(stats, "form[action='/appeals/answer'] button[type=submit]");
    ok((await text(stats, ".appeal")).includes("已更正并重新发布"), "the appeal is corrected and the period re-published");
    ok((await text(stats, ".appeal")).includes("第2 版") || (await text(stats, ".appeal")).includes("第 2 版") || (await text(stats, ".appeal")).includes("2"), "the new version is linked");

    // ---- 9. A2 sees its corrected rank; the notice says what changed and why; version 1 stays.
    await go(lead2, `/results?${Q}&category=A`);
    const after = await lead2.$$eval("#results-table tbody tr", (trs) => trs.map((t) => t.textContent.replace(/\s+/g, " ").trim()));
    ok(after.some((r) => r.includes("高村镇") && /^1\b/.test(r)), "A2 is first after the correction", after);
    await shot(lead2, "a2-corrected-rank");
    await go(lead2, `/notice?${Q}`);
    const notice = await text(lead2, "#notice");
    ok(notice.includes("更正说明") && notice.includes("申诉") && notice.includes("高村镇"), "the notice says what changed and why", notice.slice(0, 400));
    ok(notice.includes("第 2 版"), "the notice names its version");
    await shot(lead2, "notice-v2");
    await go(lead2, `/results?${Q}&category=A&version=1`);
    const v1 = await lead2.$$eval("#results-table tbody tr", (trs) => trs.map((t) => t.textContent.replace(/\s+/g, " ").trim()));
    ok(v1.some((r) => r.includes("高村镇") && /^3\b/.test(r)), "version 1 stays readable, with A2 third", v1);

    // Every step is in the audit log.
    await go(office, "/audit");
    const audit = await text(office, "main");
    for (const entity of ["submission", "evidence", "spot_check", "publication", "appeal"]) {
      ok(audit.includes(entity), `the audit log has the ${entity} steps`);
    }
    ok(problems.length === 0, "no script errors or CSP violations in the console", problems);
    console.log(`browser month: ${checks} checks passed; screenshots in ${SHOTS}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e.check ? e.message : e.stack || String(e));
  process.exit(1);
});
