"""./run.sh get-shapes NAME: fetch a real 3D model collection and write its shapes map.

Each source is a module of datasets/real/ with a fetch(out, ...) -> (folder, entries); the map it
writes (<out>/<NAME>/map.yaml) is what `./run.sh render-shapes <out>/<NAME> --map ...` reads.
Sources, terms and category rules: docs/shape-sources.md.
"""
import argparse
import os

from lib.commands.common import CommandError, given_path

SOURCES = {
    'sweethome3d': 'Sweet Home 3D furniture (Debian sweethome3d-furniture, CC0 / CC-BY 3.0)',
    'flightgear': 'FlightGear AI aircraft (Debian flightgear-data-ai, flightgear-data-models, GPL-2+)',
    'crrcsim': 'CRRCsim model aircraft (Debian crrcsim-data, GPL-2)',
    'sweethome3d-default': "Sweet Home 3D's default catalog (Debian sweethome3d, GPL-2+)",
    'kenney': "Kenney's Furniture Pack 1.0 (CC0; a public Git repository, FBX read with assimp)",
    'quaternius': "Quaternius's furniture, car, ship and gun packs (CC0; the same repository)",
}


def cmd_get_shapes(argv):
    parser = argparse.ArgumentParser(
        prog='./run.sh get-shapes',
        description='Fetch a real 3D model collection into OUT/NAME with its shapes map (map.yaml: each '
                    'model\'s R2N2 category or skip, its terms and axes) and ATTRIBUTION.md. Sources: '
                    + '; '.join(f'{k}: {v}' for k, v in SOURCES.items()) + '. See docs/shape-sources.md.')
    parser.add_argument('name', choices=sorted(SOURCES), help='the collection')
    parser.add_argument('--out', default='data/shapes', help='parent folder (default data/shapes)')
    parser.add_argument('--deb', action='append', default=[], metavar='FILE',
                        help='use this already downloaded .deb (PACKAGE_VERSION_ARCH.deb) instead of '
                             '`apt-get download PACKAGE` (repeatable)')
    parser.add_argument('--catalogs', help='sweethome3d: a folder of .sh3f catalogs (the package extracted)')
    parser.add_argument('--repo', help='kenney, quaternius: a clone of their repository (default: cloned into '
                                       'OUT/.download/ with git)')
    args = parser.parse_args(argv)
    out = given_path(args.out, '--out')
    from datasets.real import sources
    try:
        debs = {os.path.basename(d).split('_')[0]: given_path(d, '--deb') for d in args.deb}
        if args.name == 'sweethome3d':
            from datasets.real import sweethome3d as source
            folder, entries = source.fetch(out, deb=debs.get(source.PACKAGE),
                                           catalogs=given_path(args.catalogs, '--catalogs'))
        elif args.name == 'sweethome3d-default':
            from datasets.real import sweethome3d_default as source
            folder, entries = source.fetch(out, deb=debs.get(source.PACKAGE))
        elif args.name in ('kenney', 'quaternius'):
            from datasets.real import game_packs
            folder, entries = game_packs.fetch(args.name, out, repo=given_path(args.repo, '--repo'))
        else:
            from datasets.real import flightgear
            folder, entries = flightgear.fetch(args.name, out, debs=debs)
    except sources.ShapeSourceError as e:
        raise CommandError(str(e)) from None
    counts = sources.category_counts(entries)
    used = sum(n for c, n in counts.items() if c != sources.SKIP)
    print(f'get-shapes {args.name}: {folder}: {used} models to render, '
          f'{counts.get(sources.SKIP, 0)} listed as skip')
    print('  ' + ', '.join(f'{c} {n}' for c, n in counts.items() if c != sources.SKIP))
    print(f'  map: {folder}/map.yaml   next: ./run.sh render-shapes {folder} --map {folder}/map.yaml --out ROOT')
    return 0
