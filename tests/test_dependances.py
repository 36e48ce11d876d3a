"""docker/install-deps.sh : la seule liste de paquets, et ses messages."""
import os
import stat
import subprocess
import tempfile
import unittest

from outils import RACINE

SCRIPT = os.path.join(RACINE, "docker", "install-deps.sh")


def faux_programme(dossier, nom, texte):
    chemin = os.path.join(dossier, nom)
    with open(chemin, "w") as f:
        f.write("#!/bin/sh\n" + texte + "\n")
    os.chmod(chemin, stat.S_IRWXU)


class InstallDeps(unittest.TestCase):
    def lancer(self, *args, faux=None):
        env = dict(os.environ)
        if faux:
            env["PATH"] = faux + ":" + env["PATH"]
        return subprocess.run(["sh", SCRIPT, *args], capture_output=True, text=True,
                              env=env, stdin=subprocess.DEVNULL, timeout=60)

    def test_tout_est_installe_apres_make_deps(self):
        r = self.lancer("--verifier")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_liste_contient_les_indispensables(self):
        paquets = self.lancer("--liste").stdout.split()
        for p in ["gcc", "make", "check", "pkg-config", "python3-matplotlib", "bubblewrap"]:
            self.assertIn(p, paquets)

    def test_sans_droits_donne_la_commande_exacte(self):
        with tempfile.TemporaryDirectory() as faux:
            faux_programme(faux, "dpkg-query", 'echo "unknown ok not-installed"')
            faux_programme(faux, "id", "echo 1000")
            faux_programme(faux, "sudo", "exit 1")
            faux_programme(faux, "apt-get", "echo apt-get ne doit pas être lancé; exit 99")
            r = self.lancer(faux=faux)
        self.assertEqual(r.returncode, 1)
        self.assertIn("Dépendances manquantes : gcc make", r.stderr)
        self.assertIn("sudo sh -c 'apt-get update && apt-get install -y", r.stderr)
        self.assertNotIn("ne doit pas", r.stdout + r.stderr)

    def test_option_inconnue(self):
        r = self.lancer("--nimporte")
        self.assertEqual(r.returncode, 2)
        self.assertIn("option inconnue", r.stderr)
