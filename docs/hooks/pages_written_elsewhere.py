"""MkDocs hook: a placeholder for each page another engineer is writing, until it lands.

``docs/scaling.md`` (training on several processes with MPI) and
``docs/keras_features.md`` (the Keras feature table) are written on other
branches. The site links to them; while a checkout lacks one, the build puts a
short placeholder in its place, so that ``mkdocs build --strict`` still fails on
every other missing page. Once both files are in the repository this hook does
nothing, and it can go.
"""

from mkdocs.structure.files import File

PLACEHOLDERS = {
    "scaling.md": ("Training on several processes",
                   "Data-parallel training over MPI is documented here once that work lands."),
    "keras_features.md": ("Keras features",
                          "The table of Keras 3's features and their state in layerkit is "
                          "published here once that work lands."),
}


def on_files(files, config):
    for name, (title, text) in PLACEHOLDERS.items():
        if files.get_file_from_path(name) is None:
            files.append(File.generated(config, name, content=f"# {title}\n\n{text}\n"))
    return files
