"""Exécuter une commande de l'étudiant (compilation, tests) sans risque.

Avec bubblewrap : pas de réseau, système en lecture seule (/usr et ce qu'il
faut de /etc), seul l'espace de travail est accessible en écriture, rien
d'autre de l'arborescence de l'enseignant n'est visible, environnement vide,
espace de processus séparé (tout meurt avec la commande). Toujours : limites
de temps (mur et CPU), de mémoire, de processus et de taille de fichier.
Sous root, la commande tourne sous un uid sans droits propre à chaque tâche :
la limite de processus (contre les « fork bombs ») ne s'applique pas à root.
"""
import os
import re
import resource
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass

import config

DOSSIER_TRAVAIL = "/travail"
# bwrap ne transmet pas la mémoire maximale des processus (wait4) : dans le bac
# à sable, ce petit programme lance la commande, l'attend et l'écrit. setarch -R
# coupe la randomisation des adresses : les adresses citées dans les messages
# des tests sont les mêmes d'une correction à l'autre.
MESURE = ("import os, sys\n"
          "pid = os.fork()\n"
          "if pid == 0:\n"
          "    os.execv('/usr/bin/setarch', ['setarch', '-R', '/bin/sh', '-c', sys.argv[1]])\n"
          "_, statut, usage = os.wait4(pid, 0)\n"
          "print(f'\\nmemoire_max_kio={usage.ru_maxrss}', flush=True)\n"
          "code = os.waitstatus_to_exitcode(statut)\n"
          "sys.exit(128 - code if code < 0 else code)\n")
ENV = {"PATH": "/usr/bin:/bin", "HOME": DOSSIER_TRAVAIL, "LC_ALL": "C", "LANG": "C",
       "TMPDIR": "/tmp"}


@dataclass
class Resultat:
    code: int              # code de sortie, ou -signal
    mur_depasse: bool
    memoire_max_kio: int
    sortie: str            # début de stdout + stderr
    demarrage_rate: bool = False  # le bac à sable lui-même n'a pas démarré
    canal: bytes = b""     # ce qui a été écrit dans le canal (voir lancer)


def bwrap_utilisable():
    """Vrai si bubblewrap est installé et peut créer ses espaces de noms ici."""
    if shutil.which("bwrap") is None:
        return False
    essai = subprocess.run(_prefixe_uid(0) + ["bwrap", "--ro-bind", "/usr", "/usr",
                                               "--symlink", "usr/bin", "/bin",
                                               "--symlink", "usr/lib", "/lib",
                                               "--symlink", "usr/lib64", "/lib64",
                                               "--unshare-all", "--die-with-parent", "/usr/bin/true"],
                           capture_output=True, timeout=30)
    return essai.returncode == 0


_uids = {}


def uid_de(tache):
    """Sous root, l'uid du bac à sable de cette tâche. Chaque correcteur qui
    tourne réserve (verrou fcntl) son propre bloc d'uids : deux corrections
    lancées en même temps ne se tuent pas leurs processus."""
    if "base" not in _uids:
        import fcntl
        dossier = "/tmp/td-grader-uids"
        os.makedirs(dossier, mode=0o700, exist_ok=True)
        for n in range(4096):
            verrou = open(os.path.join(dossier, f"{n}.verrou"), "w")
            try:
                fcntl.flock(verrou, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                verrou.close()
                continue
            _uids["base"], _uids["verrou"] = config.UID_BAC_A_SABLE + 64 * n, verrou
            break
    return _uids["base"] + tache


def _prefixe_uid(tache):
    if os.geteuid() != 0:
        return []
    uid = uid_de(tache)
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


def _options_bwrap(espace):
    options = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
               "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
               "--tmpfs", "/tmp", "--bind", espace, DOSSIER_TRAVAIL, "--chdir", DOSSIER_TRAVAIL,
               "--clearenv"]
    for lien in ["bin", "sbin", "lib", "lib64", "lib32"]:
        if os.path.islink("/" + lien):
            options += ["--symlink", os.readlink("/" + lien), "/" + lien]
        elif os.path.isdir("/" + lien):
            options += ["--ro-bind", "/" + lien, "/" + lien]
    # Ce que gcc, make et le chargeur dynamique lisent dans /etc ; rien d'autre.
    for chemin in ["/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf",
                   "/etc/ld.so.conf.d"]:
        if os.path.exists(chemin):
            options += ["--ro-bind", chemin, chemin]
    for cle, valeur in ENV.items():
        options += ["--setenv", cle, valeur]
    return options


def _limites(cpu):
    memoire = config.MEMOIRE_MIO << 20
    fichier = config.FICHIER_MIO << 20

    def appliquer():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (memoire, memoire))
        resource.setrlimit(resource.RLIMIT_NPROC, (config.PROCESSUS, config.PROCESSUS))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fichier, fichier))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return appliquer


class BacASable:
    def __init__(self, avec_bwrap):
        self.avec_bwrap = avec_bwrap

    def preparer(self, espace, tache):
        """Sous root, l'espace appartient à l'uid de la tâche."""
        if os.geteuid() == 0:
            uid = uid_de(tache)
            for racine, dossiers, fichiers in os.walk(espace):
                for nom in [racine] + [os.path.join(racine, f) for f in dossiers + fichiers]:
                    os.lchown(nom, uid, uid)

    def lancer(self, commande, espace, tache, mur, cpu, env=None, canal=None):
        """Lance commande (liste, ou chaîne pour sh -c) dans espace. Si canal
        nomme une variable d'environnement, elle reçoit le chemin /dev/fd/N
        d'un tube lu par le correcteur : ce qui y est écrit ne peut être ni
        effacé ni réécrit par le code testé, seulement complété."""
        if isinstance(commande, str):
            commande = ["/usr/bin/python3", "-c", MESURE, commande]
        env = dict(env or {})
        lecture = ecriture = None
        if canal:
            lecture, ecriture = os.pipe()
            os.fchmod(ecriture, 0o622)  # rouvrable par l'uid du bac à sable
            env[canal] = f"/dev/fd/{ecriture}"
            recu = []
            lecteur = threading.Thread(target=_vider, args=(lecture, recu), daemon=True)
            lecteur.start()
        env_complet = dict(ENV, **env)
        if self.avec_bwrap:
            options = _options_bwrap(espace)
            for cle, valeur in env.items():
                options += ["--setenv", cle, valeur]
            argv = _prefixe_uid(tache) + options + ["--"] + commande
            env_processus, dossier = {"PATH": ENV["PATH"]}, espace
        else:
            # sans bwrap : mêmes chemins vus depuis l'espace de travail
            argv = _prefixe_uid(tache) + commande
            env_complet["HOME"] = espace
            env_processus, dossier = env_complet, espace
        journal = os.path.join(espace, ".sortie_bac_a_sable")
        with open(journal, "wb") as sortie:
            try:
                processus = subprocess.Popen(argv, cwd=dossier, env=env_processus, stdin=subprocess.DEVNULL,
                                             stdout=sortie, stderr=subprocess.STDOUT,
                                             preexec_fn=_limites(cpu),
                                             pass_fds=(ecriture,) if canal else ())
            except OSError as e:
                return Resultat(127, False, 0, f"lancement impossible : {e}", demarrage_rate=True)
            finally:
                if canal:
                    os.close(ecriture)
            code, mur_depasse, rss = _attendre(processus, mur, tache)
        if canal:
            lecteur.join(timeout=5)
        with open(journal, "rb") as f:
            texte = f.read(config.SORTIE_GARDEE).decode("utf-8", "replace")
        os.remove(journal)
        rate = self.avec_bwrap and code == 1 and texte.startswith("bwrap:")
        if code > 128:  # signal reçu par la commande mesurée
            code = 128 - code
        mesure = re.search(r"\nmemoire_max_kio=(\d+)\s*$", texte)
        if mesure:
            rss, texte = max(rss, int(mesure.group(1))), texte[:mesure.start()]
        return Resultat(code, mur_depasse, rss, texte, demarrage_rate=rate,
                        canal=b"".join(recu) if canal else b"")


def _vider(fd, recu, maximum=4 << 20):
    """Lit le tube jusqu'à sa fermeture (au-delà de maximum, jette)."""
    taille = 0
    with os.fdopen(fd, "rb", buffering=0) as tube:
        while True:
            morceau = tube.read(65536)
            if not morceau:
                return
            if taille < maximum:
                recu.append(morceau)
            taille += len(morceau)


def _attendre(processus, mur, tache):
    """Attend la fin (wait4 : on obtient la mémoire maximale) ; au-delà du
    temps mur, tue tout le groupe de processus."""
    fin = time.monotonic() + mur
    while True:
        pid, statut, usage = os.wait4(processus.pid, os.WNOHANG)
        if pid == processus.pid:
            break
        if time.monotonic() > fin:
            _tuer(processus, tache)
            pid, statut, usage = os.wait4(processus.pid, 0)
            processus.returncode = -9
            return -signal.SIGKILL, True, usage.ru_maxrss
        time.sleep(0.01)
    processus.returncode = os.waitstatus_to_exitcode(statut)
    _tuer(processus, tache)  # ce qui resterait (processus détaché hors bwrap)
    return processus.returncode, False, usage.ru_maxrss


def _tuer(processus, tache):
    try:
        os.killpg(processus.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if os.geteuid() == 0:
        # tous les processus de l'uid de la tâche, même sortis du groupe (le
        # kill intégré au shell : /usr/bin/kill n'est pas sur tous les systèmes)
        # Puis attendre qu'ils aient disparu : un processus tué reste vivant
        # le temps que le noyau le défasse, et ne doit pas survivre au retour
        # (sauf notre enfant direct, qui attend notre wait4).
        uid, fin = uid_de(tache), time.monotonic() + 5
        while True:
            subprocess.run(_prefixe_uid(tache) + ["/bin/sh", "-c", "kill -9 -1"], capture_output=True)
            if set(_processus_de(uid)) <= {processus.pid} or time.monotonic() > fin:
                break
            time.sleep(0.02)


def _processus_de(uid):
    """Les pid des processus vivants de uid. Les zombies ne comptent pas : ils
    ne font plus rien, et leur disparition dépend du processus 1 (qui, dans
    un conteneur, peut tarder à les ramasser)."""
    pids = []
    for nom in os.listdir("/proc"):
        if not nom.isdigit():
            continue
        try:
            if os.stat(f"/proc/{nom}").st_uid != uid:
                continue
            with open(f"/proc/{nom}/stat") as f:
                etat = f.read().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if etat != "Z":
            pids.append(int(nom))
    return pids
