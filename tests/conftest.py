from tests.servers.fixtures import *  # noqa: F403
from tests.store.dbfixtures import *  # noqa: F403
