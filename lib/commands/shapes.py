"""`./run.sh render-shapes`: a folder of real 3D models rendered into ShapeNet's R2N2 layout
(lib/rendering/render_shapes.py; docs/real-shapes.md)."""
import argparse

from lib.commands.common import at_least, given_path, output_folder


def cmd_render_shapes(argv):
    parser = argparse.ArgumentParser(
        prog='./run.sh render-shapes',
        description='Render a collection of 3D models (.obj with .mtl and textures, .off, .ply, .stl, .glb, '
                    '.gltf) into the R2N2 layout: 24 renderings and a solid 32^3 binvox per model, readable '
                    'by ./run.sh train/test --data ROOT. SRC is a ShapeNetCore v1 or v2 folder, or any folder '
                    'with --map. Resumes an interrupted run; a model that cannot be rendered is skipped '
                    'with one line; ends with a summary. See docs/real-shapes.md.')
    parser.add_argument('src', help='the folder of models')
    parser.add_argument('--out', required=True, metavar='ROOT', help='the dataset folder written')
    parser.add_argument('--map', metavar='MAP.yaml', help='which files are which category, and their axes')
    parser.add_argument('--seed', type=int, default=0, help='random seed of the views and lights (default 0)')
    parser.add_argument('--workers', type=int, default=2, help='processes (default 2)')
    args = parser.parse_args(argv)
    at_least('--seed', args.seed, 0)
    at_least('--workers', args.workers, 1)
    from lib.rendering.render_shapes import render_collection, summary_text
    root = output_folder(given_path(args.out, '--out'))
    summary = render_collection(given_path(args.src, 'SRC'), root, given_path(args.map, '--map'), args.seed,
                                args.workers)
    print(summary_text(summary))
    return 0
