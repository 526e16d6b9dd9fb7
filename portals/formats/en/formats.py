# Swiss formats are the same in every language.
from portals.formats.fr.formats import *  # noqa: F403
