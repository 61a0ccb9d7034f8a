//! Authorization, in one place. Every handler names the permission it needs; this table
//! says, for each role, whether it holds it and over which scope. A unit's users see only
//! their own unit's data and the published results of their own category; nothing is
//! visible before publication outside the office; auditors read everything and change
//! nothing. `tests/matrix.rs` walks every role against every endpoint.

use yardstick_storage::Role;

use crate::auth::Auth;
use crate::error::ApiError;

/// What a request wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Perm {
    /// List areas, categories and units.
    ReadRegistry,
    /// Create and change areas, categories and units.
    ManageRegistry,
    ReadUsers,
    ManageUsers,
    /// Read plans and their versions (the rules are public to everyone signed in).
    ReadPlans,
    /// Add plan versions, open periods.
    ManagePlans,
    /// Read data values and occurrences.
    ReadValues,
    /// Write data values and record occurrences.
    WriteValues,
    /// Compute a period's results (a preview until published).
    Compute,
    /// Read results that are not (yet) published.
    ReadPreview,
    Publish,
    /// Read published rankings.
    ReadPublished,
    /// Read a subject's published explanation (every point lost or gained and why).
    ReadExplanation,
    ReadAudit,
    /// See where submissions of a period stand.
    ReadSubmissions,
    /// Submit a unit's values of a period (the unit leader's approval).
    Submit,
    /// Accept or return a submission (the office, a responsible department).
    Verify,
    /// Draw submissions for on-site verification and record the findings (the office).
    SpotCheck,
    /// Read the monthly monitoring report (each data indicator against target, time node,
    /// last year and peers).
    ReadMonitoring,
    /// Read notices, rectification tasks and follow-ups (M14, M15).
    ReadOversight,
    /// Run the warning, rectification and consequence rules of a period, issue notices by
    /// hand, close or reopen rectification tasks, confirm or dismiss follow-ups (the office).
    Oversee,
    /// Acknowledge a notice and file a rectification report (the unit's leader).
    Respond,
    /// Approve or reject a correction of an accepted value (the office).
    ApproveCorrection,
    /// Download a period's raw data of every unit as a workbook (the office, auditors).
    ExportData,
    /// Appeal a published result (a unit's leader).
    Appeal,
    /// See appeals: the office all, a unit its own, a department those routed to it.
    ReadAppeals,
    /// Route an appeal to the responsible department (the office).
    RouteAppeal,
    /// Answer an appeal: the office any, a department those routed to it.
    AnswerAppeal,
    /// Download a unit's fill-in template (填报模板) of a period: the office any unit's, a
    /// unit's reporter and leader their own.
    UnitTemplate,
    /// Download a responsible department's fill-in template (every unit, the indicators it
    /// is the source of): the office any source's, a department its own (`OwnUnit`: the
    /// source named as its unit is).
    SourceTemplate,
    /// Read democratic evaluations: definitions, turnout, and results once closed (the
    /// office, leaders, auditors). Raters need no permission: their one-time code is it.
    ReadEvaluations,
    /// Define democratic evaluations, issue rater codes, open and close them, enter paper
    /// ballots (the office).
    ManageEvaluations,
    /// Import a survey's answers as a survey indicator's counts, and draw a sample of
    /// respondents from a roster (the third-party surveyor, the office).
    ImportSurveys,
    /// Read expert panels: their definition, progress and, once closed, the result per unit
    /// (the office, leaders, auditors). Experts see their own panels through `ScoreAsExpert`.
    ReadPanels,
    /// See each expert's score and comment in a panel (the office, auditors); leaders see
    /// only the panel's result per unit, unit users nothing of a panel.
    ReadPanelScores,
    /// Form expert panels, record ties, close panels and apply their results as an
    /// indicator's values (the office).
    ManageExpertPanels,
    /// Score the units of the panels one is a member of, and declare a tie with a unit (an
    /// expert; membership and ties are checked by `api::panels`).
    ScoreAsExpert,
    /// Read reward allocations: the office, leaders and auditors all; a unit's users the
    /// lines of their unit and its people. A person linked to an account reads their own
    /// lines whatever the role (`api::rewards`).
    ReadRewards,
    /// Allocate a period's rewards under a reward rule of the plan (the office).
    ManageRewards,
}

/// Over what a held permission reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everything.
    All,
    /// The units of the caller's own unit's category.
    OwnCategory,
    /// The caller's own unit only.
    OwnUnit,
}

/// The table: role × permission → scope (or no access).
pub fn scope(role: Role, perm: Perm) -> Option<Scope> {
    use Perm::*;
    use Role::*;
    use Scope::*;
    match (role, perm) {
        // Only experts score as experts; the office manages panels.
        (Admin | Staff, ScoreAsExpert) => None,
        (Admin, _) => Some(All),
        // Office staff: everything but users, the registry, plans and publication.
        (Staff, ManageRegistry | ManageUsers | ManagePlans | Publish | Submit | Appeal | Respond) => None,
        (Staff, ReadUsers) => None,
        (Staff, _) => Some(All),
        // Auditors read everything and change nothing.
        (Auditor, ReadRegistry | ReadUsers | ReadPlans | ReadValues | ReadPreview | ReadPublished | ReadExplanation | ReadAudit | ReadSubmissions | ReadAppeals | ReadMonitoring | ReadOversight | ExportData | ReadEvaluations | ReadPanels | ReadPanelScores | ReadRewards) => Some(All),
        (Auditor, _) => None,
        // Leaders read published results.
        (Viewer, ReadRegistry | ReadPlans | ReadPublished | ReadExplanation | ReadEvaluations | ReadPanels | ReadRewards) => Some(All),
        (Viewer, _) => None,
        // A unit's reporter and leader: their own unit's data, their category's published board.
        (Reporter | UnitLeader, ReadRegistry | ReadPublished) => Some(OwnCategory),
        (Reporter | UnitLeader, ReadPlans) => Some(All),
        (Reporter | UnitLeader, ReadValues | WriteValues | ReadExplanation | ReadSubmissions | ReadAppeals | ReadMonitoring | ReadOversight | UnitTemplate | ReadRewards) => Some(OwnUnit),
        // Only the unit's leader submits (approves) its data, appeals its results,
        // acknowledges notices and files rectification reports.
        (UnitLeader, Submit | Appeal | Respond) => Some(OwnUnit),
        (Reporter | UnitLeader, _) => None,
        // A responsible department reads the data of every unit (it supplies and verifies
        // indicators across units) and, as a unit itself, its category's board.
        // It monitors the indicators it supplies across units; as a unit it gets its own
        // notices and tasks and answers them.
        (Department, ReadRegistry | ReadPlans | ReadValues | ReadSubmissions | Verify | ReadMonitoring) => Some(All),
        // It supplies the values of the indicators it is the source of, for every unit
        // (`api::check_supplier` limits the indicators).
        (Department, WriteValues) => Some(All),
        (Department, ReadPublished) => Some(OwnCategory),
        // The fill-in template of the indicators it is the source of.
        (Department, SourceTemplate) => Some(OwnUnit),
        (Department, ReadExplanation | ReadOversight | Respond | ReadRewards) => Some(OwnUnit),
        // Appeals routed to the department (its own unit key).
        (Department, ReadAppeals | AnswerAppeal) => Some(OwnUnit),
        (Department, _) => None,
        // Experts and surveyors see the registry and the plan; a surveyor imports survey
        // answers (the counts of a survey indicator, for any unit) and draws samples.
        (Expert | Surveyor, ReadRegistry | ReadPlans) => Some(All),
        (Surveyor, ImportSurveys) => Some(All),
        // An expert scores in the panels they are a member of (`api::panels` checks which).
        (Expert, ScoreAsExpert) => Some(All),
        (Expert | Surveyor, _) => None,
    }
}

/// What the caller may reach with a permission, or 403.
pub fn require(a: &Auth, perm: Perm) -> Result<Scope, ApiError> {
    scope(a.user.role, perm).ok_or_else(ApiError::forbidden)
}

/// Whether a scope reaches a unit: `unit` and its `category`; `own_category` is the caller's.
pub fn reaches(a: &Auth, s: Scope, unit: &str, category: Option<&str>, own_category: Option<&str>) -> bool {
    match s {
        Scope::All => true,
        Scope::OwnUnit => a.user.unit_key.as_deref() == Some(unit),
        Scope::OwnCategory => a.user.unit_key.as_deref() == Some(unit) || (category.is_some() && category == own_category),
    }
}

/// Whether the caller belongs to the office (sees previews).
pub fn is_office(a: &Auth) -> bool {
    scope(a.user.role, Perm::ReadPreview).is_some()
}
