"""Sending notifications out: one provider per channel, chosen in settings (decision 0024).

``base`` holds the message, the two kinds of failure and the provider interface; ``email`` sends through
Django's e-mail backend; ``gateway`` holds the HTTP gateway and console providers for SMS, WhatsApp and
push; ``phones`` reads phone numbers. When and what to send is ``accounts.services.delivery``'s business.
"""
