"""Words of the VIP plugin that are translated where they are shown, not where they are
written: navigation, roles, permissions, settings labels, the default curriculum and the
labels of the plugin's enums. Each is marked once with ``N_`` so that ``pybabel extract``
puts it in the plugin's catalogs (plugins/vip/translations)."""

from __future__ import annotations

from core.toolkit import N_, OfferStatus, register_field_labels, register_labels
from plugins.vip.models import ApplicationStatus, Channel, ContactVia, GroupStatus

NAVIGATION = (N_("VIP"),)

#: PluginInfo.description, shown on the plugins pages.
DESCRIPTION = N_("The VIP course: twelve group meetings on emotions, relationships and rights for people "
                 "with intellectual disabilities, with the national register of trained group leaders.")

ROLE_TITLES = (N_("VIP coordinator"), N_("VIP group leader"), N_("VIP leader trainer"))

ROLE_DESCRIPTIONS = (
    N_("Runs the VIP course in the organisation: applications, waitlists, groups, outreach"),
    N_("Leads VIP groups and records attendance"),
    N_("Runs the leader training courses of the training organisation"),
)

PERMISSION_DESCRIPTIONS = (
    N_("See the VIP overview, the waitlists and the groups"),
    N_("Handle VIP applications, the waitlist and offers of places"),
    N_("Form VIP groups, assign their leaders and plan their meetings"),
    N_("Record attendance at VIP group meetings"),
    N_("Record who was informed about VIP and offered a place"),
    N_("Run leader training courses and keep the national register of trained leaders"),
)

SETTINGS_LABELS = (
    N_("Participants per group"),
    N_("Leaders per group"),
    N_("Meetings per course"),
    N_("Meeting length in minutes"),
    N_("Including the break."),
    N_("Break in minutes"),
    N_("Group audiences"),
    N_("Meetings attended to count as completed"),
    N_("Days an offer stays open"),
    N_("Hours before a meeting the reminder goes out"),
    N_("Days an application that led to no place is kept after it closed"),
    N_("Days a participant's course record is kept after the course"),
    N_("Theme of each meeting, one per line, as your copy of the manual lists them"),
    N_("This organisation trains VIP group leaders for the country"),
    N_("Contact for applicants: name"),
    N_("Shown to the public after an application, with the phone and email below."),
    N_("Contact for applicants: phone"),
    N_("Contact for applicants: email"),
    N_("Contact for applicants: postal address, where paper applications are sent"),
)

#: Titles of the metrics in services/metrics.py, shown on core's statistics page.
METRIC_TITLES = (
    N_("VIP applications"),
    N_("VIP first-timers, per cent of applications"),
    N_("VIP median days from application to start"),
    N_("VIP groups started"),
    N_("VIP participants"),
    N_("VIP completion, per cent of participants of finished groups"),
    N_("VIP outreach, per cent of registered users offered the course"),
    N_("VIP trained leaders among staff"),
)

#: The themes of settings.DEFAULT_CURRICULUM: shown through gettext, so a tenant that keeps
#: the default sees them in the reader's language; a tenant's own text is shown as written.
THEMES = (
    N_("Emotions"),
    N_("Relationships"),
    N_("Thoughts and feelings steer what we do"),
    N_("How to feel good"),
    N_("When something is hard in a relationship"),
    N_("Our rights"),
)

register_labels(ApplicationStatus, {
    ApplicationStatus.waiting: N_("Waiting"),
    ApplicationStatus.offered: N_("Offered a place"),
    ApplicationStatus.placed: N_("Has a place"),
    ApplicationStatus.withdrawn: N_("Withdrawn"),
    ApplicationStatus.closed: N_("Closed"),
})
register_labels(OfferStatus, {
    OfferStatus.open: N_("Waiting for an answer"),
    OfferStatus.accepted: N_("Accepted"),
    OfferStatus.declined: N_("Declined"),
    OfferStatus.expired: N_("Expired"),
    OfferStatus.withdrawn: N_("Withdrawn"),
})
register_labels(GroupStatus, {
    GroupStatus.planned: N_("Planned"),
    GroupStatus.running: N_("Running"),
    GroupStatus.finished: N_("Finished"),
    GroupStatus.cancelled: N_("Cancelled"),
})
register_labels(Channel, {Channel.web: N_("Web form"), Channel.paper: N_("Paper application")})
register_labels(ContactVia, {
    # TRANSLATORS: who the programme contacts: the applicant themself.
    ContactVia.self: N_("The applicant"),
    ContactVia.contact_person: N_("A contact person"),
    ContactVia.guardian: N_("A guardian"),
    ContactVia.legal_representative: N_("A legal representative"),
})

#: The field names of VIP's part of a person's export (services/export.py).
register_field_labels({
    "applications": N_("Applications"),
    "channel": N_("Channel"),
    "audience": N_("Audience"),
    "taken_before": N_("Has taken VIP before"),
    "contact_via": N_("Contact through"),
    "contact_name": N_("Contact person"),
    "contact_phone": N_("Contact person's phone"),
    "contact_email": N_("Contact person's email"),
    "needs": N_("Needs"),
    "applied_at": N_("Applied"),
    "status": N_("Status"),
    "placed_at": N_("Got a place"),
    "closed_at": N_("Closed"),
    "closed_reason": N_("Why it was closed"),
    "group": N_("Group"),
    "name": N_("Name"),
    "offers": N_("Offers of a place"),
    "offered_at": N_("Offered"),
    "expires_at": N_("Open until"),
    "answered_at": N_("Answered"),
    "answered_via_link": N_("Answered through the link"),
    "waitlist_moves": N_("Moves in the waitlist"),
    "from_position": N_("From place in line"),
    "to_position": N_("To place in line"),
    "reason": N_("Reason"),
    "moved_at": N_("Moved"),
    "meetings": N_("Meetings"),
    "number": N_("Number"),
    "theme": N_("Theme"),
    "starts_at": N_("Starts"),
    "location": N_("Place"),
    "cancelled": N_("Cancelled"),
    "attendance": N_("Attendance"),
    "outreach": N_("Outreach"),
    "service": N_("Service"),
    "informed_on": N_("Informed"),
    "offered_on": N_("Offered the course"),
    "note": N_("Note"),
})
