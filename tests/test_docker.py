"""docker/ : le Dockerfile installe par install-deps.sh et rien d'autre, et
évite les erreurs classiques (vérifications locales : pas de moteur Docker
ici, et hadolint n'est pas empaqueté par Debian)."""
import os
import re
import unittest

from outils import RACINE

DOCKERFILE = os.path.join(RACINE, "docker", "Dockerfile")


def instructions(texte):
    """[(INSTRUCTION, arguments)] ; suites de lignes « \\ » jointes, commentaires ôtés."""
    texte = re.sub(r"\\\n", " ", texte)
    lignes = [l.strip() for l in texte.splitlines() if l.strip() and not l.strip().startswith("#")]
    return [(l.split(None, 1)[0].upper(), l.split(None, 1)[1] if " " in l else "") for l in lignes]


def etapes(instr):
    """Les étapes (FROM … jusqu'au FROM suivant)."""
    resultat = []
    for nom, args in instr:
        if nom == "FROM":
            resultat.append([])
        resultat[-1].append((nom, args))
    return resultat


class Dockerfile(unittest.TestCase):
    def setUp(self):
        with open(DOCKERFILE, encoding="utf-8") as f:
            self.instr = instructions(f.read())
        self.etapes = etapes(self.instr)
        self.noms = {re.split(r"\s+as\s+", a, flags=re.I)[1] for n, a in self.instr
                     if n == "FROM" and re.search(r"\s+as\s+", a, re.I)}

    def test_image_de_base_figee(self):
        for nom, args in self.instr:
            if nom != "FROM":
                continue
            image = args.split()[0]
            if image in self.noms:
                continue  # une étape précédente
            self.assertRegex(image, r"^debian:12[.\d]*-slim(@sha256:[0-9a-f]{64})?$|@sha256:",
                             f"image de base non figée : {image}")
            self.assertNotIn(":latest", image)

    def test_installe_seulement_par_install_deps(self):
        runs = " ".join(a for n, a in self.instr if n == "RUN")
        self.assertIn("install-deps.sh", runs)
        for interdit in ["apt-get install", "apt install", "pip install", "curl ", "wget "]:
            self.assertNotIn(interdit, runs)
        for interdit in ["apt-get upgrade", "apt-get dist-upgrade", "apt upgrade"]:
            self.assertNotIn(interdit, runs)

    def test_listes_apt_nettoyees_dans_la_meme_couche(self):
        for n, a in self.instr:
            if n == "RUN" and "install-deps.sh" in a:
                self.assertIn("rm -rf /var/lib/apt/lists/*", a)

    def test_chaque_etape_finit_sans_root(self):
        for etape in self.etapes:
            utilisateurs = [a for n, a in etape if n == "USER"]
            herite = etape[0][1].split()[0] in self.noms
            self.assertTrue(utilisateurs or herite, f"étape sans USER : {etape[0]}")
            for u in utilisateurs:
                self.assertNotIn(u.split(":")[0], ("root", "0"))

    def test_pas_de_add_distant_ni_de_secret(self):
        for n, a in self.instr:
            self.assertNotEqual(n, "ADD", "COPY plutôt qu'ADD")
            self.assertNotRegex(a, r"(?i)(password|token|secret)=")

    def test_dockerignore(self):
        with open(os.path.join(RACINE, ".dockerignore"), encoding="utf-8") as f:
            ignores = f.read().split()
        for motif in [".git", "build", "dist"]:
            self.assertIn(motif, ignores)

    def test_le_readme_donne_les_commandes_du_dockerfile(self):
        with open(os.path.join(RACINE, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        self.assertIn("docker build -t td-memoire -f docker/Dockerfile .", readme)
        self.assertIn('docker run --rm -it -v "$PWD":/td td-memoire make test', readme)
        self.assertIn("--target correcteur", readme)
