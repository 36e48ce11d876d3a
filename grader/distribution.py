#!/usr/bin/env python3
"""Rend le sujet et fabrique l'archive des étudiants.

    python3 grader/distribution.py sujet      # dist/sujet/ : sujet.html (+ PDF si LaTeX)
    python3 grader/distribution.py handout    # dist/td-memoire-etudiant.tar.gz

L'archive contient le squelette, courbe.py, install-deps.sh, le sujet rendu
(ou sa source Markdown sans pandoc) et un LISEZMOI : rien de la solution, du corrigé ni du
correcteur. Elle est reproductible (dates et propriétaires fixés).
"""
import io
import os
import shutil
import subprocess
import sys
import tarfile

import config
import squelette

DIST = os.path.join(config.RACINE, "dist")
SUJET = os.path.join(config.RACINE, "sujet")
RENDU = os.path.join(DIST, "sujet")
ARCHIVE = os.path.join(DIST, "td-memoire-etudiant.tar.gz")
RACINE_ARCHIVE = "td-memoire"
PYTHON_GRAPHIQUE = ["/usr/bin/python3", sys.executable]


def courbe_exemple():
    """L'exemple de courbe du sujet, tracé par courbe.py à partir des mesures
    de sujet/exemple/ (faites avec make bench)."""
    sortie = os.path.join(RENDU, "courbe_exemple.png")
    mesures = [os.path.join(SUJET, "exemple", f"result_{n}.csv")
               for n in ["malloc", "huge", "malloc_stride", "huge_stride"]]
    for python in PYTHON_GRAPHIQUE:
        r = subprocess.run([python, os.path.join(config.RACINE, "courbe.py"), "--no-show", "-o", sortie,
                            *mesures], capture_output=True, text=True)
        if r.returncode == 0:
            return sortie
    print("distribution : courbe d'exemple non tracée (matplotlib introuvable)", file=sys.stderr)
    return None


def rendre_sujet():
    shutil.rmtree(RENDU, ignore_errors=True)  # jamais de rendu périmé
    os.makedirs(RENDU)
    shutil.copy(os.path.join(SUJET, "sujet.md"), RENDU)
    courbe_exemple()
    if shutil.which("pandoc") is None:
        print("pandoc est introuvable : le sujet reste en Markdown (sujet/sujet.md).\n"
              "Pour le rendre en HTML : sudo apt-get install pandoc, puis make sujet.", file=sys.stderr)
        return 0
    # le titre est le premier « # » du sujet ; pagetitle seulement pour l'onglet
    commun = ["pandoc", "sujet.md", "--standalone", "--toc", "--metadata", "lang=fr",
              "--metadata", "pagetitle=TD « Mémoire »"]
    r = subprocess.run(commun + ["--self-contained", "-o", "sujet.html"], cwd=RENDU,
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(f"make sujet : pandoc a échoué :\n{r.stderr}", file=sys.stderr)
        return 1
    messages = ["Sujet rendu : " + os.path.join(RENDU, "sujet.html")]
    moteur = next((m for m in ["xelatex", "lualatex", "pdflatex"] if shutil.which(m)), None)
    if moteur:
        r = subprocess.run(commun + [f"--pdf-engine={moteur}", "-o", "sujet.pdf"], cwd=RENDU,
                           capture_output=True, text=True)
        messages.append("PDF : " + os.path.join(RENDU, "sujet.pdf") if r.returncode == 0
                        else f"PDF non produit ({moteur} a échoué)")
    else:
        messages.append("PDF non produit : aucun moteur LaTeX (sudo apt-get install texlive-xetex)")
    print("\n".join(messages))
    return 0


def _ajouter(archive, nom, contenu, executable=False):
    info = tarfile.TarInfo(f"{RACINE_ARCHIVE}/{nom}")
    info.size, info.mtime, info.mode = len(contenu), 1577836800, 0o755 if executable else 0o644
    info.uname = info.gname = "etudiant"
    archive.addfile(info, io.BytesIO(contenu))


def _lire(chemin):
    with open(chemin, "rb") as f:
        return f.read()


def fabriquer_archive():
    if rendre_sujet() != 0:
        return 1
    skeleton = os.path.join(config.RACINE, "skeleton")
    fichiers = [(os.path.join(skeleton, f), f) for f in squelette.fichiers_sources(skeleton)]
    fichiers += [(os.path.join(config.RACINE, "courbe.py"), "courbe.py"),
                 (os.path.join(config.RACINE, "docker", "install-deps.sh"), "install-deps.sh"),
                 (os.path.join(SUJET, "LISEZMOI-etudiant.md"), "LISEZMOI.md")]
    fichiers += [(os.path.join(RENDU, f), f) for f in sorted(os.listdir(RENDU))]
    os.makedirs(DIST, exist_ok=True)
    with open(ARCHIVE, "wb") as brut:
        # gzip sans date : deux fabrications donnent la même archive
        import gzip
        with gzip.GzipFile(fileobj=brut, mode="wb", mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as archive:
                for chemin, nom in sorted(fichiers, key=lambda f: f[1]):
                    _ajouter(archive, nom, _lire(chemin), os.access(chemin, os.X_OK))
    print(f"Archive des étudiants : {ARCHIVE}")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["sujet"]:
        return rendre_sujet()
    if argv == ["handout"]:
        return fabriquer_archive()
    print("usage : python3 grader/distribution.py sujet|handout", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
