"""The configuration file of a private test Dovecot (settings from shared/TESTING.md)."""

import grp
import os
import pwd
import uuid
from pathlib import Path
from string import Template


def render_config(
    *,
    root: Path,
    host: str,
    imap_port: int,
    lmtp_port: int,
    mail_dir: Path,
    passwd_file: Path,
    log_file: Path,
) -> str:
    """dovecot.conf for an instance living in `root`, listening on host:imap_port/lmtp_port."""
    if os.geteuid() == 0:
        # Dovecot refuses to store mail as root: the `mail` user owns it.
        mail = pwd.getpwnam("mail")
        identity = _ROOT_IDENTITY.substitute(uid=mail.pw_uid, gid=mail.pw_gid)
    else:
        me = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(me.pw_gid).gr_name
        identity = _USER_IDENTITY.substitute(
            uid=me.pw_uid, gid=me.pw_gid, name=me.pw_name, group=group
        )
    return _CONFIG.substitute(
        instance=f"mailflow-test-{uuid.uuid4().hex[:12]}",
        root=root,
        log=log_file,
        host=host,
        identity=identity,
        mail=mail_dir,
        passwd=passwd_file,
        imap_port=imap_port,
        lmtp_port=lmtp_port,
    )


_ROOT_IDENTITY = Template(
    """\
mail_uid = mail
mail_gid = mail
first_valid_uid = $uid
last_valid_uid = $uid
first_valid_gid = $gid"""
)

_USER_IDENTITY = Template(
    """\
mail_uid = $uid
mail_gid = $gid
first_valid_uid = $uid
last_valid_uid = $uid
first_valid_gid = $gid
default_internal_user = $name
default_internal_group = $group
default_login_user = $name"""
)

# Each setting and each nested block on its own line (shared/TESTING.md). Login and anvil run
# without chroot, which a Dovecot started by a user other than root cannot do.
# auth_failure_delay and the anvil-auth-penalty listener: a test's wrong password must be
# answered fast and must not slow every later login from 127.0.0.1 (Dovecot's per-IP auth
# penalty, which login_trusted_networks does not lift in 2.3.19).
_CONFIG = Template(
    """\
instance_name = $instance
base_dir = $root/run
state_dir = $root/state
log_path = $log
protocols = imap lmtp
listen = $host
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_fsync = never
$identity
mail_location = maildir:$mail/%d/%n/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $passwd
}
userdb {
  driver = static
  args = home=$mail/%d/%n
}
service imap-login {
  chroot =
  inet_listener imap {
    address = $host
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = $host
    port = $lmtp_port
  }
}
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
}
"""
)
