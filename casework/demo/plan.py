"""The demo delivery plan's text: priorities 1 to 5 and their numbered actions, in the
shape of the Fenland delivery plan in the source reports (lead agency, partners,
milestones, progress narrative, RAG with its reason). Every officer is invented.
Loaded by casework.demo.delivery_plan."""

from dataclasses import dataclass
from typing import NamedTuple

from casework.plan.models import PlanActionKind, PlanActionStatus
from casework.rag import Rag

# The demo agencies (casework.demo.AGENCIES) by the names the plan and the work use.
COUNCIL = "Fenland District Council"
POLICE = "Cambridgeshire Constabulary"
COUNTY = "Cambridgeshire County Council"
FIRE = "Cambridgeshire Fire and Rescue Service"
HOUSING = "Roddons Housing Association"
HEALTH = "Fenland Health Partnership"
PROBATION = "Probation Service"
VOLUNTARY = "Fenland Community Support"
AMBULANCE = "East of England Ambulance Service"


class Milestone(NamedTuple):
    text: str
    month: int  # in the financial year that runs from April
    day: int
    slipped: bool = False  # past its date and not done


@dataclass(frozen=True)
class PlanRow:
    ref: str
    kind: PlanActionKind
    action: str
    outcome: str
    project: str
    target: str
    lead: str
    partners: tuple[str, ...]
    milestones: tuple[Milestone, ...]
    progress: str
    rag: Rag
    rag_reason: str
    improvement: str = ""
    status: PlanActionStatus = PlanActionStatus.OPEN
    # Earlier quarterly updates, oldest first: (progress, RAG, reason), and for amber or
    # red the action to improve performance when it is not the row's. The latest update
    # is the row's own progress and RAG.
    history: tuple[tuple[str, Rag, str] | tuple[str, Rag, str, str], ...] = ()


K = PlanActionKind
GREEN, AMBER, RED = Rag.GREEN, Rag.AMBER, Rag.RED
ON_TARGET = "Progressing well and on target"

PRIORITIES = [
    (
        1,
        "Anti-social behaviour and vulnerable victims",
        "Amira Castell, ASB Officer, Fenland District Council",
        "Reduce ASB incidents reported to the police by 5% on last year (year to date: down 3.8%).\n"
        "85% of high-risk victims given a case conference within 72 hours, and 85% moved from high to "
        "medium risk within 7 days.",
    ),
    (
        2,
        "Alcohol-related violence and the night-time economy",
        "Tom Reddick, Licensing Officer, Fenland District Council",
        "Reduce violence against the person by 3% (year to date: down 1.9%).\n"
        "80% of red premises moved to amber, and of amber premises to green, within 3 months.",
    ),
    (
        3,
        "Reducing re-offending",
        "Dana Whitlock, IOM Manager, Probation Service",
        "Reduce proven re-offending by the IOM cohort by 10% (year to date: down 12%).\n"
        "90% of the cohort with an accommodation plan on release (year to date: 81%).",
    ),
    (
        4,
        "Domestic abuse",
        "Insp. Kerry Ansell, Cambridgeshire Constabulary",
        "IDVA engagement above 80% of identified high-risk victims (year to date: 81%).\n"
        "Repeat referrals to MARAC below 30% (year to date: 27%).",
    ),
    (
        5,
        "Rural crime and scams",
        "Sgt Owen Trask, Rural Crime Action Team, Cambridgeshire Constabulary",
        "Reduce thefts from farms by 10% (year to date: down 14%).\n"
        "Every scam victim referred by the National Trading Standards Scams Team visited within 2 weeks "
        "(year to date: 35%).",
    ),
]

PLAN = [
    PlanRow(
        "1.3.1",
        K.PREVENTION_AND_INTERVENTION,
        "Hold a monthly Problem Solving Group to identify and support vulnerable victims and repeat perpetrators "
        "of ASB, with the agenda and case list drawn from the casebook",
        "Vulnerable and repeat victims identified early and given a partnership response",
        "Problem Solving Group",
        "85% of high-risk victims given a case conference within 72 hours; 85% moved from high to medium risk "
        "within 7 days",
        COUNCIL,
        (POLICE, HOUSING, FIRE, VOLUNTARY),
        (
            Milestone("Agenda and case list drawn from the casebook", 5, 31),
            Milestone("New referral process agreed with partners", 7, 31),
            Milestone("Review of the PSG terms of reference", 1, 31, slipped=True),
            Milestone("Year-end report to the Community Safety Partnership", 3, 31),
        ),
        "The PSG met every month. The agenda and case list now come from the casebook, and partners refer "
        "through the new referral process. Last quarter 74% of high-risk victims had a case conference within "
        "72 hours and 78% moved to medium risk within 7 days.",
        AMBER,
        "Requires intervention to ensure target is met: 72-hour case conferences at 74% against 85%",
        "The chair holds two standing case-conference slots a week, and police and housing name deputies so a "
        "conference can go ahead when the lead officer is away. Reviewed at each PSG.",
        history=(
            ("The PSG met monthly. Work started on drawing the agenda from the casebook.", GREEN, ON_TARGET),
            (
                "Case conferences within 72 hours fell to 79% over the summer holidays.",
                AMBER,
                "Requires intervention to ensure target is met: 79% against 85%",
            ),
        ),
    ),  # fmt: skip
    PlanRow(
        "1.3.2",
        K.INTERVENTION,
        "Tackle street drinking in Wisbech town centre and parks: joint patrols, Community Protection Warnings, "
        "and offers of treatment, accommodation or reconnection",
        "Fewer complaints of street drinking; drinkers supported into treatment or housing",
        "Wisbech street drinkers",
        "60% positive outcomes for identified street drinkers",
        POLICE,
        (COUNCIL, HEALTH, VOLUNTARY),
        (
            Milestone("Street drinkers identified and entered on the casebook", 5, 15),
            Milestone("Summer patrol plan agreed", 6, 30),
            Milestone("Winter accommodation offer in place", 11, 30),
        ),
        "Twenty-three street drinkers identified, each with a named lead. Positive outcomes at 71% year to "
        "date: 9 in treatment, 4 housed and 3 reconnected with family elsewhere.",
        GREEN,
        f"{ON_TARGET}: 71% positive outcomes against 60%",
    ),  # fmt: skip
    PlanRow(
        "1.3.3",
        K.INTERVENTION,
        "Use the PSG to identify problem places (for example from fires and ASB data) that need a partnership "
        "response, and agree a plan for each",
        "Fewer incidents at the places the PSG takes on",
        "Community Action Areas",
        "A plan within one month for every problem place accepted; incidents down 20% within 6 months",
        FIRE,
        (POLICE, COUNCIL, COUNTY),
        (
            Milestone("Wenny recreation ground, Chatteris: youth sessions start", 6, 1),
            Milestone("Spinney playground, Waterlees: clean-up and lighting survey", 9, 30),
            Milestone("Review of deliberate fires", 2, 28),
        ),
        "Deliberate fires at the Wenny recreation ground down from 14 to 5 since the youth sessions started. "
        "The lighting survey at the Spinney playground is done; the council is pricing the repairs.",
        GREEN,
        ON_TARGET,
        history=(
            (
                "Fire-setting at the Wenny recreation ground reported to the PSG; the youth service is engaged.",
                AMBER,
                "Requires intervention to ensure target is met: youth sessions not yet started",
                "The youth service to start weekly sessions at the recreation ground before the summer holidays.",
            ),
        ),
    ),  # fmt: skip
    PlanRow(
        "1.3.4",
        K.AWARENESS,
        "Publicise how to report ASB and how to ask for an ASB case review (Community Trigger)",
        "Residents know how to report ASB and how to ask for a review",
        "Reporting ASB",
        "Web page and leaflet published; the leaflet in every new tenancy pack",
        COUNCIL,
        (HOUSING, POLICE),
        (Milestone("Web page published", 5, 31), Milestone("Leaflet in every new tenancy pack", 7, 31)),
        "Complete. The web page and leaflet are published and every new Roddons tenancy pack includes the "
        "leaflet. Four case review requests received this year.",
        GREEN,
        "Complete",
        status=PlanActionStatus.COMPLETE,
    ),  # fmt: skip
    PlanRow(
        "1.3.5",
        K.SUPPORT,
        "Support victims while their case is open: a named contact, weekly welfare calls for high-risk victims "
        "and referral to victim support",
        "Victims feel supported and stay engaged with their case",
        "Victim welfare calls",
        "Every high-risk victim called weekly until their risk is reduced",
        VOLUNTARY,
        (COUNCIL, POLICE, HOUSING),
        (
            Milestone("Welfare-call rota agreed with the PSG", 4, 30),
            Milestone("Volunteer training", 9, 15),
            Milestone("Second rota in place", 12, 31),
        ),
        "Welfare calls reached 82% of high-risk victims every week. Two volunteers left, so one rota is "
        "unfilled and some victims are called fortnightly.",
        AMBER,
        "Requires intervention to ensure target is met: volunteer numbers down, 82% of victims called weekly",
        "Fenland Community Support is recruiting four volunteers (two have started; training is booked). The "
        "council's ASB officer covers the unfilled rota until then.",
        history=(
            ("Welfare calls made every week to every high-risk victim.", GREEN, ON_TARGET),
            (
                "Two volunteers left; some victims are called fortnightly.",
                AMBER,
                "Requires intervention to ensure target is met: 85% called weekly",
            ),
        ),
    ),  # fmt: skip
    PlanRow(
        "1.3.6",
        K.PREVENTION,
        "Support to tenants living in Houses in Multiple Occupation in Fenland",
        "Improve safety and reduce the risk of exploitation to tenants in identified properties",
        "HMO task group",
        "The top 10 high-risk HMOs visited jointly; each on the casebook with a risk-based traffic light",
        POLICE,
        (FIRE, COUNCIL),
        (
            Milestone("Top 10 HMOs identified", 5, 31),
            Milestone("Joint visits to the top 10", 10, 31),
            Milestone("Report to the Community Safety Partnership", 3, 15),
        ),
        "Over 30 HMOs are on the casebook with a risk-based traffic light; 8 of the top 10 visited jointly by "
        "police, fire and council officers. Two landlords served improvement notices.",
        GREEN,
        ON_TARGET,
    ),  # fmt: skip
    PlanRow(
        "2.3.1",
        K.PREVENTION_AND_INTERVENTION,
        "Develop and deliver the Fenland Traffic Light System model: preventative and reactive patrolling of "
        "identified premises, licence compliance checks and CCTV patrols",
        "Reduced incidents of violence against the person in Fenland",
        "Traffic Light System",
        "Reduce violence against the person by 3%; red premises to amber within 3 months 80%; amber to green "
        "within 3 months 80%",
        POLICE,
        (COUNCIL, AMBULANCE, HEALTH),
        (
            Milestone("Summer events plan with licensed premises", 6, 1),
            Milestone("Test purchasing", 8, 31),
            Milestone("Christmas night-time economy operation", 12, 1),
            Milestone("Straw Bear Festival", 1, 15),
        ),
        "Compliance visits completed to every premises in the Wisbech and March clusters, and ambulance data "
        "now helps identify premises. One red premises in Wisbech passed its 3-month deadline: a licence "
        "review added conditions (door staff from 9pm, CCTV kept for 31 days).",
        RED,
        "Needs urgent intervention: one red premises past its 3-month deadline; red to amber at 67%",
        "Police and licensing visit the premises together every fortnight. If there is no improvement within "
        "6 weeks the police apply for a further review. Progress reported to each PSG.",
        history=(
            ("Ambulance data shared with licensing; compliance checks under way.", GREEN, ON_TARGET),
            (
                "Two premises went red after incidents reported by the police and the ambulance service; action "
                "plans agreed.",
                AMBER,
                "Requires intervention to ensure target is met: action plans in place",
            ),
        ),
    ),  # fmt: skip
    PlanRow(
        "2.3.2",
        K.SUPPORT,
        "Reward scheme for compliant premises to encourage good practice and prevent future breaches",
        "More premises meet the Licensing Act 2003 criteria",
        "Thumbs Up",
        "80% of identified premises compliant with the Licensing Act 2003 criteria",
        COUNCIL,
        (POLICE,),
        (
            Milestone("Criteria agreed", 5, 31),
            Milestone("Accreditation round", 10, 31),
            Milestone("Case study press release", 2, 28),
        ),
        "Eleven premises accredited this year; more than 40 licensed premises are signed up to SIRCS, one of "
        "the criteria.",
        GREEN,
        f"{ON_TARGET}: 83% of identified premises compliant",
    ),  # fmt: skip
    PlanRow(
        "2.3.3",
        K.TRAINING,
        "Deliver Challenge 25 training to premises recommended by the RAO group",
        "Fewer sales of alcohol to under-18s",
        "Challenge 25",
        "100% of premises referred to Trading Standards trained within 6 weeks",
        COUNTY,
        (COUNCIL, POLICE),
        (
            Milestone("Training dates published", 5, 31),
            Milestone("Follow-up of failed test purchases", 9, 30, slipped=True),
            Milestone("Refresher for new licence holders", 1, 31),
        ),
        "Fourteen premises trained this year. Two off-licences that failed test purchases have not had their "
        "training yet: one cancelled twice.",
        AMBER,
        "Requires intervention to ensure target is met: 2 referred premises not yet trained",
        "Trading Standards books both premises for training within 2 weeks and re-tests them within 6 weeks; "
        "a second failure goes to the RAO group for a licence review.",
    ),  # fmt: skip
    PlanRow(
        "2.3.4",
        K.ENFORCEMENT,
        "Use the casebook to monitor and deliver action with identified premises licence holders",
        "Reduction of high-risk premises",
        "Premises action plans",
        "Red to amber within 3 months 80%; amber to green within 3 months 80%",
        COUNCIL,
        (POLICE,),
        (
            Milestone("Every red and amber premises on an action plan", 5, 31),
            Milestone("Quarterly review with the RAO group", 10, 15),
        ),
        "All amber premises receive visits from council licensing officers, and each red and amber premises "
        "works to an action plan. Three licensing hearings this year.",
        GREEN,
        ON_TARGET,
    ),  # fmt: skip
    PlanRow(
        "3.3.1",
        K.INTERVENTION,
        "Integrated Offender Management: manage the most prolific offenders through a weekly case meeting and a "
        "monthly offender review group with a PSG representative",
        "Less re-offending by the IOM cohort",
        "Integrated Offender Management",
        "Reduce proven re-offending by the cohort by 10%",
        PROBATION,
        (POLICE, COUNCIL, HEALTH),
        (
            Milestone("Cohort reviewed", 6, 30),
            Milestone("Information sharing agreement signed again by partners", 11, 30),
        ),
        "A cohort of 28; re-offending down 12% on last year. The PSG's representative attends the monthly "
        "offender review group.",
        GREEN,
        ON_TARGET,
        history=(("Cohort refreshed; re-offending down 8%.", GREEN, ON_TARGET),),
    ),  # fmt: skip
    PlanRow(
        "3.3.2",
        K.SUPPORT,
        "Offer every IOM offender a housing options interview before release",
        "No one in the cohort released without somewhere to live",
        "Accommodation on release",
        "90% of the cohort with an accommodation plan on release",
        HOUSING,
        (PROBATION, COUNCIL),
        (
            Milestone("Referral route from the prison agreed", 5, 31),
            Milestone("Interview slots held each month", 9, 30),
        ),
        "Accommodation plans for 81% of releases. Three people were released without a tenancy in place after "
        "short-notice release dates.",
        AMBER,
        "Requires intervention to ensure target is met: 81% against 90%",
        "Probation tells Roddons of release dates 6 weeks ahead; Roddons holds two interview slots a month for "
        "short-notice releases.",
        history=(
            ("Referral route agreed with the prison; 88% with a plan.", GREEN, ON_TARGET),
            (
                "Short-notice releases: 84% with a plan.",
                AMBER,
                "Requires intervention to ensure target is met: 84% against 90%",
            ),
        ),
    ),  # fmt: skip
    PlanRow(
        "3.3.3",
        K.PREVENTION,
        "Reduce shoplifting in Wisbech and March with the police, CCTV and the retailers' ShopWatch scheme",
        "Fewer thefts from shops; more offenders identified",
        "ShopWatch",
        "Keep the detection rate for shoplifting at 60% or above",
        POLICE,
        (COUNCIL,),
        (Milestone("ShopWatch radio link extended to March", 7, 31), Milestone("Christmas shopping operation", 12, 1)),
        "Detection rate at 70% year to date; 38 retailers in ShopWatch.",
        GREEN,
        ON_TARGET,
    ),  # fmt: skip
    PlanRow(
        "3.3.4",
        K.SUPPORT,
        "Refer offenders who misuse drugs or alcohol to treatment, and follow up whether they engage",
        "More offenders in treatment; less drug- and alcohol-related offending",
        "Treatment referrals",
        "70% of referred offenders start treatment",
        HEALTH,
        (PROBATION, POLICE),
        (Milestone("Referral pathway agreed", 5, 31), Milestone("Six-monthly review", 10, 31)),
        "74% of referred offenders started treatment; 61% were still engaged after 12 weeks.",
        GREEN,
        ON_TARGET,
    ),  # fmt: skip
    PlanRow(
        "3.3.5",
        K.PREVENTION,
        "Divert young people at risk of offending: Acceptable Behaviour Contracts, youth sessions and support "
        "to their families",
        "Fewer first-time entrants to the youth justice system",
        "Youth diversion",
        "80% of young people on an ABC complete it without a breach",
        COUNTY,
        (POLICE, HOUSING, VOLUNTARY),
        (Milestone("ABC process agreed with housing", 6, 30), Milestone("Summer holiday sessions", 8, 31)),
        "Nineteen ABCs signed and 16 completed without a breach (84%). The summer sessions reached 140 young people.",
        GREEN,
        ON_TARGET,
    ),  # fmt: skip
    PlanRow(
        "4.3.1",
        K.SUPPORT,
        "Support high-risk victims of domestic abuse through the IDVA service and MARAC, and refer PSG cases "
        "involving domestic abuse to MARAC",
        "High-risk victims engaged with support; fewer repeat incidents",
        "IDVA service",
        "IDVA engagement above 80% of identified high-risk victims",
        POLICE,
        (VOLUNTARY, HEALTH, HOUSING),
        (
            Milestone("MARAC referral guidance shared with the PSG", 5, 31),
            Milestone("IDVA drop-in at the March hub", 9, 1),
            Milestone("Review of repeat cases", 2, 28),
        ),
        "IDVA engagement at 81% of identified victims year to date. A weekly drop-in opened at the March hub; "
        "repeat referrals to MARAC at 27%.",
        GREEN,
        f"{ON_TARGET}: 81% against 80%",
        history=(
            (
                "IDVA engagement at 77%; the drop-in is being set up.",
                AMBER,
                "Requires intervention to ensure target is met: 77% against 80%",
                "Open a weekly IDVA drop-in at the March hub so that victims can be seen without an appointment.",
            ),
            ("The drop-in is open; engagement up to 80%.", GREEN, ON_TARGET),
        ),
    ),  # fmt: skip
    PlanRow(
        "5.3.1",
        K.PREVENTION,
        "Farm and rural crime prevention: Countryside Watch messages, crime prevention visits and property marking",
        "Fewer thefts from farms, and of diesel and metal",
        "Countryside Watch",
        "Reduce thefts from farms by 10%",
        POLICE,
        (COUNCIL,),
        (
            Milestone("Property marking events", 6, 30),
            Milestone("Harvest-time patrols", 8, 31),
            Milestone("Winter diesel theft campaign", 11, 30),
        ),
        "Countryside Watch has 410 members. Thefts from farms down 14%; diesel theft down 9%.",
        GREEN,
        ON_TARGET,
    ),  # fmt: skip
    PlanRow(
        "5.3.2",
        K.ENFORCEMENT,
        "Tackle hare coursing in the autumn season: joint patrols with landowners, dispersal orders and seizure "
        "of vehicles",
        "Fewer hare coursing incidents; landowners confident to report",
        "Hare coursing",
        "Reduce hare coursing reports by 15% on last season",
        POLICE,
        (COUNCIL,),
        (
            Milestone("Landowner briefing", 9, 15),
            Milestone("Season operation", 10, 1),
            Milestone("Season review", 3, 31),
        ),
        "Reports up 20% on last season. Four vehicles seized; dispersal orders took over a week to obtain.",
        AMBER,
        "Requires intervention to ensure target is met: reports up 20% in the season",
        "Agree a same-day route for dispersal orders with the council, and share landowners' reports with the "
        "Rural Crime Action Team every day of the season.",
    ),  # fmt: skip
    PlanRow(
        "5.3.3",
        K.AWARENESS,
        "Raise awareness of scams with older residents: talks to community groups and Neighbourhood Watch, and "
        "call blockers for repeat victims",
        "Residents recognise scams and report them",
        "Scams awareness",
        "24 talks a year; a call blocker for every repeat victim who wants one",
        COUNTY,
        (VOLUNTARY, POLICE),
        (Milestone("Talks programme published", 5, 31), Milestone("Scams awareness fortnight", 6, 15)),
        "Seventeen talks given to 460 residents; 31 call blockers fitted.",
        GREEN,
        ON_TARGET,
    ),  # fmt: skip
    PlanRow(
        "5.3.4",
        K.SUPPORT,
        "Visit every victim referred by the National Trading Standards Scams Team within 2 weeks",
        "Scam victims protected from being targeted again",
        "Scam victim visits",
        "100% of referred victims visited within 2 weeks",
        COUNTY,
        (VOLUNTARY,),
        (Milestone("Referral list received and triaged", 5, 31), Milestone("Backlog cleared", 10, 31, slipped=True)),
        "A referral list of 46 victims arrived at once and visits are taking 5 weeks on average. The nine "
        "repeat victims were visited first.",
        RED,
        "Needs urgent intervention: visits within 2 weeks at 35%",
        "Fenland Community Support volunteers make a first-contact call to every victim on the list within 2 "
        "weeks; Trading Standards visits repeat and vulnerable victims first and clears the backlog within 8 "
        "weeks.",
        history=(
            ("Every referred victim visited within 2 weeks.", GREEN, ON_TARGET),
            (
                "A list of 46 victims received; visits falling behind.",
                AMBER,
                "Requires intervention to ensure target is met: 60% within 2 weeks",
            ),
        ),
    ),  # fmt: skip
    PlanRow(
        "5.3.5",
        K.ENFORCEMENT,
        "Fly-tipping: cameras at hotspots, enforcement, and clearance within 5 working days",
        "Fewer fly-tipping incidents at hotspots",
        "Fly-tipping hotspots",
        "95% of reported fly-tips cleared within 5 working days; 10 fixed penalty notices",
        COUNCIL,
        (POLICE,),
        (Milestone("Cameras at three hotspots", 6, 30), Milestone("Rural fly-tipping week of action", 10, 15)),
        "96% cleared within 5 working days; 12 fixed penalty notices and one prosecution.",
        GREEN,
        ON_TARGET,
    ),  # fmt: skip
]
