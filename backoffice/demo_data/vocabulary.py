"""Words, names and strings the demo data is assembled from. Fixed lists keep runs deterministic and fast
(Faker per row would dominate the run time at a million rows) and need no extra dependency."""

FIRST_NAMES = tuple(
    (
        "Amira Omar Layla Youssef Sara Karim Nadia Hassan Lina Tariq Maya Rami Emma Liam Olivia Noah Sophia "
        "Lucas Mia Ethan Chloe Mateo Aisha Daniel Hana Samir Ines Adam Zara Ali Grace Leo Nour Felix Elena "
        "Marco Yara Jonas Priya Arjun Mei Kenji Fatima Ivan Clara Hugo Rania Samuel"
    ).split()
)
LAST_NAMES = tuple(
    (
        "Haddad Khalil Mansour Nasser Saleh Farouk Aziz Rahman Othman Barakat Smith Johnson Garcia Martin "
        "Dubois Rossi Schneider Novak Silva Kowalski Tanaka Kim Chen Patel Singh Okafor Mensah Larsen Jansen "
        "Moreau Costa Ibrahim Yilmaz Petrov Andersson Murphy Fischer Lopez Nguyen Hassan"
    ).split()
)

# Specialty names as they appear in legacy expertise_fields: odd casing and spacing, plus names that are
# not default specialties, so `migrate_expertise_fields` has matching and creating to do.
LEGACY_EXPERTISE = (
    "Economic",
    "economic",
    " Financial",
    "FINANCIAL",
    "Legal",
    "legal ",
    "Marketing",
    "MARKETING",
    "Technology",
    "technology",
    "Management",
    "management ",
    "Human Resources",
    "human  resources",
    "Engineering",
    "ENGINEERING",
    "Data Science",
    "data science",
    "Supply Chain",
    "Tax Advisory",
)
# Values older forms left behind, which the migration must report rather than guess at.
LEGACY_ODDITIES = (
    [1, "Legal"],
    "Legal, Marketing",
    '["Economic", "Financial"]',
    42,
    ["", "Marketing"],
    {"field": "Legal"},
    "[Economic",
)

SERVICE_CATEGORIES = (
    ("Business Strategy", ("Growth strategy session", "Market entry review", "Business model workshop")),
    ("Financial Planning", ("Cash-flow review", "Investment readiness check", "Budget planning session")),
    ("Legal Consultation", ("Contract review", "Company formation advice", "Compliance check")),
    ("Digital Marketing", ("SEO audit", "Campaign planning", "Social media strategy")),
    ("IT & Software", ("Architecture review", "Cloud cost review", "Security assessment")),
    ("Human Resources", ("Hiring plan", "Compensation benchmark", "Team structure review")),
    ("Tax Advisory", ("VAT registration help", "Tax planning session", "Transfer pricing review")),
    ("Engineering Review", ("Design review", "Site feasibility check", "Process optimisation")),
    ("Market Research", ("Competitor analysis", "Customer survey design", "Market sizing")),
    ("Operations", ("Supply chain review", "Lean operations workshop", "Vendor selection")),
)

SENTENCES = (
    "We reviewed the current situation and agreed on the next steps.",
    "The main risk is the dependency on a single supplier.",
    "Revenue grew steadily over the last three quarters.",
    "The proposed budget leaves a reasonable contingency margin.",
    "Customer interviews confirmed the demand for the new offer.",
    "The regulatory requirements are manageable with the right partner.",
    "Hiring two senior engineers would remove the main bottleneck.",
    "Payback is expected within eighteen months under prudent assumptions.",
    "The pricing model should be simplified before the launch.",
    "Marketing spend is concentrated on channels with a low conversion rate.",
    "Operating costs can be reduced by renegotiating the logistics contract.",
    "The legal structure should be reviewed before new investors join.",
)
REPORT_TITLES = (
    "Session summary and recommendations",
    "Market entry assessment",
    "Financial health check",
    "Go-to-market plan",
    "Compliance review findings",
    "Operational efficiency review",
    "Pricing analysis",
)
STUDY_TITLES = (
    "Feasibility of a second production site",
    "Feasibility of a regional expansion",
    "Feasibility of an online sales channel",
    "Feasibility of a franchise model",
    "Feasibility of a solar installation",
    "Feasibility of a logistics hub",
)
ARTICLE_TITLES = (
    "Five questions to ask before raising capital",
    "How to read a cash-flow statement",
    "What a feasibility study should contain",
    "Choosing the right legal structure",
    "Pricing a service business",
    "Building a hiring plan that survives growth",
    "Cutting cloud costs without slowing down",
    "Marketing on a small budget",
)
MESSAGE_SUBJECTS = (
    "Documents for our session",
    "Quick question",
    "Follow-up",
    "Rescheduling",
    "Thank you",
    "Draft report",
)
TICKET_SUBJECTS = (
    "Cannot download my report",
    "Payment charged twice",
    "Consultant did not show up",
    "How do I change my booking?",
    "Refund not received yet",
    "Invoice needs my company's address",
    "Cannot log in",
    "Session link does not work",
    "Wrong time zone on my booking",
    "Account suspended",
)
INTERNAL_NOTES = (
    "Checked the payment provider: the second charge was voided.",
    "Customer has had three similar issues this month, keep an eye on it.",
    "Consultant confirmed the no-show, refund approved.",
    "Duplicate of an earlier ticket.",
)
NOTIFICATION_TITLES = (
    "Your session is confirmed",
    "Reminder: your session is tomorrow",
    "Payment received",
    "Your report is ready",
    "New message",
    "Your ticket was updated",
    "Refund processed",
    "A new article from your consultant",
)
REFUND_REASONS = (
    "Session ended early.",
    "Consultant cancelled.",
    "Charged twice.",
    "Client not satisfied with the session.",
)
# Why a refund was declined: told to the payer, so written to them.
REFUND_REJECTIONS = (
    "The session took place in full: the consultant's notes and the call log confirm it.",
    "The cancellation came after the free cancellation window.",
    "The second charge was already voided by the card issuer: nothing was taken twice.",
    "The report was delivered as agreed; we have asked the consultant to walk you through it.",
)

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
    "ConsultingApp/3.4.1 (Android 14)",
    "ConsultingApp/3.4.0 (iOS 17.5)",
    "python-requests/2.32.3",
)
# System log records as the loggers that really write them would: Django's request and security
# loggers, Celery's task tracer, and the audit trail's alerts (auditing.alerts). Only WARNING and worse
# reach the system log (SYSTEM_LOG_LEVEL); INFO rows stand for a lowered threshold.
SYSTEM_EVENTS = {
    "INFO": (
        ("celery.app.trace", "Task backups.tasks.backup_run_task[3f1c9a2e] succeeded in 41.2s"),
        ("celery.app.trace", "Task analytics.tasks.kpi_compute_task[b7d2e410] succeeded in 3.8s"),
        ("celery.app.trace", "Task accounts.tasks.role_expiry_task[9a41c7d3] succeeded in 0.4s"),
    ),
    "WARNING": (
        ("django.request", "Not Found: /admin/consultants/booking/99999/change/"),
        ("django.request", "Forbidden (Permission denied): /staff/audit/"),
        ("django.request", "Method Not Allowed (GET): /staff/audit/verify/"),
        ("django.security.csrf", "Forbidden (CSRF token from POST incorrect.): /admin/billing/refund/12/change/"),
        ("django.security.DisallowedHost", "Invalid HTTP_HOST header: 'scanner.example'."),
        ("celery.worker.consumer.consumer", "consumer: Connection to broker lost. Trying to re-establish."),
    ),
    "ERROR": (
        ("django.request", "Internal Server Error: /admin/billing/payment/1204/change/"),
        ("django.request", "Service Unavailable: /staff/logs/"),
        (
            "celery.app.trace",
            "Task accounts.tasks.notification_deliver_task[5e0d1c2b] raised unexpected: "
            "SMTPServerDisconnected('Connection unexpectedly closed')",
        ),
        (
            "celery.app.trace",
            "Task backups.tasks.backup_run_task[c12f08aa] raised unexpected: OSError(28, 'No space left on device')",
        ),
        ("auditing.alerts", "Audit sealing is 412s behind (threshold 300s): 1,204 rows wait after the sealed head."),
    ),
    "CRITICAL": (
        ("auditing.alerts", "Audit trail verification failed: seal #88 does not match the rows it covers."),
        ("django.db.backends", "Database connection pool exhausted"),
    ),
}
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/app/billing/services.py", line 88, in payment_capture\n'
    "    response = provider.capture(payment.provider_reference)\n"
    '  File "/app/billing/providers.py", line 41, in capture\n'
    "    response.raise_for_status()\n"
    "requests.exceptions.HTTPError: 502 Server Error: Bad Gateway\n"
)
