"""What each kind of notification says: the same words in the e-mail's subject and on
/notifications. A reference and a time are added by whoever shows it; nothing here may
name a person."""

from casework.notifications.models import NotificationKind as K

SUBJECTS: dict[K, str] = {
    K.CLOCK_DUE_SOON: "A victim's SLA clock is due soon",
    K.CLOCK_OVERDUE: "A victim's SLA clock is overdue",
    K.ACTION_ASSIGNED: "An action has been assigned",
    K.ACTION_DUE_SOON: "An action is due soon",
    K.ACTION_OVERDUE: "An action is overdue",
    K.ACTION_PROGRESS: "Progress recorded on an action you created",
    K.ACCESS_REQUESTED: "Someone has asked for access to a case",
    K.ACCESS_DECIDED: "Your request for access to a case has been decided",
    K.REFERRAL_MADE: "A referral has been made to the partnership",
    K.REFERRAL_DECIDED: "Your referral has been decided",
    K.AGENDA_PUBLISHED: "A PSG meeting's agenda has been published",
    K.MINUTES_FINISHED: "A PSG meeting's minutes are finished",
    K.PREMISES_DEADLINE_DUE_SOON: "A licensed premises deadline is due soon",
    K.PREMISES_DEADLINE_PASSED: "A licensed premises deadline has passed",
    K.ACCOUNT_CHANGED: "Your Casework account has changed",
    K.PASSWORD_RESET: "Reset your Casework password",
    K.DIGEST: "Your daily Casework summary",
}

# The preferences page: what a user chooses about, in their words.
CHOICE_LABELS: dict[K, str] = {
    K.CLOCK_DUE_SOON: "Victims' clocks due soon",
    K.CLOCK_OVERDUE: "Victims' clocks overdue",
    K.ACTION_ASSIGNED: "Actions assigned to my agency or to me",
    K.ACTION_DUE_SOON: "Actions due soon",
    K.ACTION_OVERDUE: "Actions overdue",
    K.ACTION_PROGRESS: "Progress on actions I created",
    K.ACCESS_REQUESTED: "Requests for access to cases",
    K.ACCESS_DECIDED: "Decisions on my requests for access",
    K.REFERRAL_MADE: "Referrals made to the partnership",
    K.REFERRAL_DECIDED: "Decisions on my referrals",
    K.AGENDA_PUBLISHED: "PSG agendas published",
    K.MINUTES_FINISHED: "PSG minutes finished",
    K.PREMISES_DEADLINE_DUE_SOON: "Premises deadlines due soon",
    K.PREMISES_DEADLINE_PASSED: "Premises deadlines passed",
}
