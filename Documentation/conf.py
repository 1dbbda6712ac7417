# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of the ioasid documentation: `make htmldocs` builds
# it (scripts/htmldocs.sh), as HTML and as ioasidctl's man page.
#
# The kernel-doc directive and the other extensions are the kernel's own,
# from linux-source-6.12: scripts/htmldocs.sh extracts them into the cache
# and names that tree in IOASID_LINUX_DOCS.

import os
import sys

srctree = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
linux = os.environ.get('IOASID_LINUX_DOCS')
if not linux:
    sys.exit('conf.py: IOASID_LINUX_DOCS is not set: build with make htmldocs')
sys.path.insert(0, os.path.join(linux, 'Documentation', 'sphinx'))

project = 'ioasid'
root_doc = 'index'
language = 'en'

needs_sphinx = '5.3'
# kerneldoc: the kernel-doc directive.  automarkup: "struct ioasid_foo" and
# the like, in prose, become links to their definitions.
extensions = ['kerneldoc', 'automarkup']

# The kernel-doc directive runs the kernel's scripts/kernel-doc over the
# files it names, relative to the top of the tree.
kerneldoc_bin = os.path.join(linux, 'scripts', 'kernel-doc')
kerneldoc_srctree = srctree

# Literal blocks are C, shell and plain text alike: none is highlighted (as
# in the kernel), and none can fail to lex.
highlight_language = 'none'
# No typographic dashes and quotes: an option is --json, not an en dash.
smartquotes = False

html_theme = 'alabaster'
html_title = 'ioasid documentation'

# One man page per command-line tool.  The title of the document is not part
# of the man page: the NAME line is made of the name and the description
# here.
man_pages = [
    ('tools/ioasid/ioasidctl', 'ioasidctl',
     'show IOMMU groups, ioasid contexts and counters', [], 8),
]
man_make_section_directory = False
