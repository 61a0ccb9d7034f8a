//! E-mail reminders before a deadline (M7). When an SMTP relay is configured
//! (`smtp_host`), a round every ten minutes finds the units that have not submitted (or
//! were returned) a month whose units' deadline is within `reminder_hours`, and writes to
//! their reporters' and leaders' addresses — once per unit and deadline (recorded, and in
//! the audit log). A unit with no address is not recorded, so an address added later still
//! gets the reminder; a failed send is retried at the next round.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::AppState;
use crate::ui::{datetime, period_label};

/// One round: sends what is due and returns how many units were reminded.
pub async fn run_once(st: &AppState, now_ms: i64) -> anyhow::Result<usize> {
    let Some(host) = st.config.smtp_host.clone() else { return Ok(0) };
    let window = st.config.reminder_hours as i64 * 3_600_000;
    let due = st.db.due_reminders(now_ms, now_ms + window).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let from: Mailbox = st.config.smtp_from.parse().map_err(|e| anyhow::anyhow!("smtp_from '{}': {e}", st.config.smtp_from))?;
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(st.config.smtp_port).timeout(Some(Duration::from_secs(15))).build();
    let mut sent = 0;
    for d in due {
        let to = st.db.unit_emails(&d.unit_key).await?;
        let mailboxes: Vec<Mailbox> = to.iter().filter_map(|a| a.parse().ok()).collect();
        if mailboxes.is_empty() {
            continue;
        }
        let plan = st.db.plan(&d.plan_key).await?.map(|p| p.name).unwrap_or_else(|| d.plan_key.clone());
        let period = period_label(&d.period, yardstick_formats::Lang::Zh);
        let subject = format!("【报送提醒】{}{}数据报送将于{}截止", d.unit_name, period, datetime(d.due_ms));
        let body = format!(
            "{}：\n\n《{plan}》{period}的数据报送将于 {}（北京时间）截止。贵单位尚未报送，或报送已被退回待修改。\n请登录标尺填报数据、上传佐证材料，并由单位负责人审核报送；逾期报送将按方案记录。\n\n本邮件由标尺 Yardstick 自动发送，请勿回复。\n",
            d.unit_name,
            datetime(d.due_ms)
        );
        let mut b = Message::builder().from(from.clone()).subject(subject).header(ContentType::TEXT_PLAIN);
        for m in &mailboxes {
            b = b.to(m.clone());
        }
        let msg = b.body(body)?;
        match mailer.send(msg).await {
            Ok(_) => {
                st.db.record_reminder(&d, &to, now_ms).await?;
                sent += 1;
            }
            Err(e) => eprintln!("reminder to {} ({}) not sent, retried at the next round: {e}", d.unit_key, to.join(", ")),
        }
    }
    Ok(sent)
}

/// Runs a round every ten minutes while the server runs.
pub fn spawn(st: AppState) {
    if st.config.smtp_host.is_none() {
        return;
    }
    tokio::spawn(async move {
        loop {
            if let Err(e) = run_once(&st, crate::auth::now_ms()).await {
                eprintln!("reminders: {e}");
            }
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
    });
}
