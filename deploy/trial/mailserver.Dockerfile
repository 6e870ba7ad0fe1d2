# Dovecot or Postfix for the trial stack, from Debian's packages as the tests use them.
FROM debian:12-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       dovecot-imapd dovecot-lmtpd postfix \
    && rm -rf /var/lib/apt/lists/*
