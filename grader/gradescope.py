#!/usr/bin/env python3
"""Fabrique l'archive d'autocorrection Gradescope (make gradescope).

    python3 grader/gradescope.py [-o dist/gradescope.zip]

L'archive contient setup.sh et run_autograder à sa racine (ce que Gradescope
exige) et le kit nécessaire à la correction : solution/, grader/ (tests
cachés compris) et docker/install-deps.sh. run_autograder note
/autograder/submission avec le même correcteur et écrit
/autograder/results/results.json.
"""
import os
import sys
import zipfile

import config

SETUP = """#!/usr/bin/env bash
# Gradescope : installation des dépendances (image Ubuntu, en root).
set -euo pipefail
bash /autograder/source/docker/install-deps.sh
"""

RUN = """#!/usr/bin/env bash
# Gradescope : note la soumission avec le correcteur du kit.
set -uo pipefail
AUTOGRADER=${AUTOGRADER:-/autograder}
sortie=$(mktemp -d)
"$AUTOGRADER/source/grader/grader" grade "$AUTOGRADER/submission" -o "$sortie" -j 2
mkdir -p "$AUTOGRADER/results"
resultat=$(find "$sortie" -mindepth 2 -maxdepth 2 -name results.json | head -n 1)
if [ -n "$resultat" ]; then
    cp "$resultat" "$AUTOGRADER/results/results.json"
else
    echo '{"score": 0, "output": "Correction impossible : voir le journal du correcteur."}' \\
        > "$AUTOGRADER/results/results.json"
fi
"""

DOSSIERS = ["solution", "grader"]
IGNORES = {"build", "build-san", "__pycache__", "resultats", "tests"}


def fichiers_du_kit():
    """(chemin sur le disque, chemin dans l'archive) du kit nécessaire à la correction."""
    yield os.path.join(config.RACINE, "docker", "install-deps.sh"), "docker/install-deps.sh"
    yield os.path.join(config.RACINE, "courbe.py"), "courbe.py"  # l'analyseur en français du correcteur
    motifs = [m.strip() for m in open(os.path.join(config.SOLUTION, ".gitignore"))
              if m.strip() and not m.startswith("#")]
    for dossier in DOSSIERS:
        for racine, sous, noms in os.walk(os.path.join(config.RACINE, dossier)):
            relatif = os.path.relpath(racine, config.RACINE)
            # les tests du correcteur restent hors de l'archive, pas ceux de la solution
            sous[:] = sorted(d for d in sous if d not in IGNORES or relatif == "solution" and d == "tests")
            for nom in sorted(noms):
                if any(nom == m or nom.endswith(m.lstrip("*")) for m in motifs if "/" not in m):
                    continue
                yield os.path.join(racine, nom), os.path.join(relatif, nom)


def ajouter(archive, nom, contenu, executable):
    info = zipfile.ZipInfo(nom, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o755 if executable else 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, contenu)


def fabriquer(sortie):
    os.makedirs(os.path.dirname(os.path.abspath(sortie)), exist_ok=True)
    with zipfile.ZipFile(sortie, "w") as archive:
        ajouter(archive, "setup.sh", SETUP, True)
        ajouter(archive, "run_autograder", RUN, True)
        for chemin, nom in fichiers_du_kit():
            with open(chemin, "rb") as f:
                ajouter(archive, nom, f.read(), os.access(chemin, os.X_OK))
    return sortie


def main():
    parser = config.AnalyseurFrancais(description="Archive d'autocorrection Gradescope.")
    parser.add_argument("-o", "--sortie", default=os.path.join(config.RACINE, "dist", "gradescope.zip"))
    args = parser.parse_args()
    print(f"Archive Gradescope : {fabriquer(args.sortie)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
