"""The documentation holds: every relative link in README.md, docs/*.md and the results' and test
data's READMEs names a file or folder of the repository, a #fragment names a heading of the page it
points to, a repository path named in the prose exists, and the README's Layout block is the code's
(every module in one of its rooms, no import running up its lines)."""
import re

import pytest

from tests.conftest import REPO

PAGES = [REPO / 'README.md', *sorted((REPO / 'docs').glob('*.md')),
         REPO / 'experiments' / 'results' / 'README.md', REPO / 'tests' / 'data' / 'README.md']
LINK = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)')
FENCE = re.compile(r'^```.*?^```', re.S | re.M)


def prose(text):
    """The page without its fenced code blocks (a link written inside code is not a link)."""
    return FENCE.sub('', text)


def heading_anchors(text):
    """The #fragments GitHub gives a page's headings: lower case, punctuation dropped, spaces to
    hyphens, and -1, -2, ... on repeats."""
    anchors, seen = set(), {}
    for heading in re.findall(r'^#{1,6}\s+(.*?)\s*#*\s*$', prose(text), re.M):
        slug = re.sub(r'[^\w\- ]', '', heading.replace('`', '').lower()).replace(' ', '-')
        count = seen.get(slug, 0)
        anchors.add(slug if count == 0 else f'{slug}-{count}')
        seen[slug] = count + 1
    return anchors


def relative_links(page):
    for target in LINK.findall(prose(page.read_text())):
        if not re.match(r'^[a-z][a-z0-9+.-]*:', target):    # http:, https:, mailto: ... are not checked
            yield target


def shown(path):
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else path.name


def broken_links(page):
    broken = []
    for target in relative_links(page):
        path, _, fragment = target.partition('#')
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f'{target} (no such file)')
        elif fragment and dest.suffix == '.md' and fragment not in heading_anchors(dest.read_text()):
            broken.append(f'{target} (no heading #{fragment} in {shown(dest)})')
    return broken


def test_the_check_finds_a_broken_link_and_a_missing_heading(tmp_path):
    page = tmp_path / 'page.md'
    (tmp_path / 'other.md').write_text('# Other page\n\n## The `fast` path\n')
    page.write_text('[ok](other.md#the-fast-path) [gone](missing.md) [anchor](other.md#nowhere)\n'
                    '```\n[in code](not-a-link.md)\n```\n[web](https://example.org/x.md)\n')
    assert broken_links(page) == ['missing.md (no such file)',
                                  'other.md#nowhere (no heading #nowhere in other.md)']


@pytest.mark.parametrize('page', PAGES, ids=shown)
def test_every_relative_link_points_to_something_that_exists(page):
    assert page.exists()
    assert not broken_links(page), f'{shown(page)}: broken links: {broken_links(page)}'


def test_the_readme_command_table_lists_every_command():
    from lib.commands.cli import COMMANDS
    listed = re.findall(r'^\| `\./run\.sh ([\w-]+)', (REPO / 'README.md').read_text(), re.M)
    assert sorted(listed) == sorted({*COMMANDS, 'check'})


def test_readme_fits_on_a_few_screens():
    assert len((REPO / 'README.md').read_text().splitlines()) <= 250


# The README's "Layout" block: one line per level, highest first; each path on a line is a room.
PACKAGES = ('lib', 'models', 'datasets')
LAYOUT_EXCEPTIONS = set()   # (from room, to room) pairs named in the README under the block; none today


def layout_levels():
    """{room path: level} from the README's Layout block (the bottom line is level 0)."""
    text = (REPO / 'README.md').read_text()
    block = re.search(r'^## Layout\n.*?^```\n(.*?)^```', text, re.S | re.M).group(1)
    lines = block.splitlines()
    rooms = {}
    for depth, line in enumerate(lines):
        for path in re.findall(r'(?<![\w/])((?:%s)(?:/[\w.]+)*/?)' % '|'.join(PACKAGES), line):
            rooms[path] = len(lines) - 1 - depth
    return rooms


def room_of(path, rooms):
    """The room (longest path prefix) a repository-relative file belongs to, or None."""
    matches = [r for r in rooms if path == r or (r.endswith('/') and path.startswith(r))]
    return max(matches, key=len) if matches else None


def module_file(name):
    """Repository-relative file of a dotted module name, or None if it is not one of ours."""
    base = REPO / name.replace('.', '/')
    for candidate in (base.with_suffix('.py'), base / '__init__.py'):
        if candidate.is_file():
            return str(candidate.relative_to(REPO))
    return None


def imported_files(source):
    import ast
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f'{node.module}.{alias.name}' for alias in node.names]
        else:
            continue
        for name in names:
            if name.split('.')[0] in PACKAGES and module_file(name):
                yield module_file(name)


def test_every_room_of_the_layout_exists_and_holds_every_module():
    rooms = layout_levels()
    assert {'lib/commands/', 'models/', 'lib/config.py', 'datasets/'} <= set(rooms)
    assert not [r for r in rooms if not (REPO / r).exists()], 'the Layout names paths that do not exist'
    sources = [p for package in PACKAGES for p in (REPO / package).rglob('*.py')]
    homeless = [str(p.relative_to(REPO)) for p in sources
                if room_of(str(p.relative_to(REPO)), rooms) is None and p != REPO / 'lib' / '__init__.py']
    assert not homeless, f'modules in no room of the README Layout: {homeless}'


def test_no_import_runs_up_the_layout():
    rooms = layout_levels()
    upward = []
    for package in PACKAGES:
        for source in (REPO / package).rglob('*.py'):
            here = room_of(str(source.relative_to(REPO)), rooms)
            for target in imported_files(source):
                there = room_of(target, rooms)
                if here and there and rooms[there] > rooms[here] and (here, there) not in LAYOUT_EXCEPTIONS:
                    upward.append(f'{source.relative_to(REPO)} imports {target} ({here} is below {there})')
    assert not upward, '\n'.join(upward)
    readme = (REPO / 'README.md').read_text()
    assert all(f'`{low}`' in readme for low, _ in LAYOUT_EXCEPTIONS)


REPO_PATH = re.compile(r'`((?:lib|models|datasets|tests|experiments|docs)/[^`\s<>*{}]*)`')


@pytest.mark.parametrize('page', PAGES, ids=shown)
def test_repository_paths_named_in_the_prose_exist(page):
    missing = sorted({path for path in REPO_PATH.findall(prose(page.read_text()))
                      if not (REPO / path.split(':')[0]).exists()})
    assert not missing, f'{shown(page)} names paths that do not exist: {missing}'
