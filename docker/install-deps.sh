#!/bin/sh
# Installe les paquets Debian/Ubuntu dont le kit a besoin : c'est la SEULE liste
# de paquets système du projet (utilisée par `make deps`, le Dockerfile et la CI).
#
#   docker/install-deps.sh            installe ce qui manque (root, sinon sudo)
#   docker/install-deps.sh --verifier n'installe rien : liste ce qui manque (code 1)
#   docker/install-deps.sh --liste    affiche la liste des paquets
# Avec ENSEIGNANT=1, ajoute ce qui ne sert qu'à l'enseignant (pandoc pour
# « make sujet », procps pour les tests du correcteur) ; « make deps » à la
# racine du kit le fait.
set -eu

# Indispensables : compilation, tests Check, tracés, bac à sable du correcteur.
# libjemalloc2, libmimalloc2.0, libtcmalloc-minimal4 : les allocateurs que « make compare » met
# face à la libc et au vôtre.
PAQUETS="gcc make libc6-dev binutils check pkg-config python3 python3-matplotlib bubblewrap libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4"
if [ "${ENSEIGNANT:-0}" = 1 ]; then
	PAQUETS="$PAQUETS pandoc procps"
fi

manquants() {
	for p in $PAQUETS; do
		statut=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$statut" in
		*" installed") ;;
		*) printf '%s ' "$p" ;;
		esac
	done
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps : ce système n'est pas Debian/Ubuntu (pas de dpkg)." >&2
	echo "Installez à la main l'équivalent de : $PAQUETS" >&2
	exit 1
fi

case "${1:-}" in
--liste) echo "$PAQUETS"; exit 0 ;;
--verifier)
	m=$(manquants)
	[ -z "$m" ] && exit 0
	echo "Paquets manquants : $m" >&2
	exit 1 ;;
"") ;;
*) echo "install-deps : option inconnue « $1 » (attendu : --liste ou --verifier)" >&2; exit 2 ;;
esac

m=$(manquants)
if [ -z "$m" ]; then
	echo "Dépendances : tout est déjà installé."
	exit 0
fi

commande="apt-get update && apt-get install -y --no-install-recommends $m"
if [ "$(id -u)" = 0 ]; then
	echo "Dépendances : installation de $m"
	sudo_=""
elif command -v sudo >/dev/null 2>&1 && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then
	echo "Dépendances : installation de $m (via sudo, votre mot de passe peut être demandé)"
	sudo_="sudo"
else
	echo "Dépendances manquantes : $m" >&2
	echo "Impossible de les installer sans droits administrateur. Lancez en root :" >&2
	echo "  sudo sh -c '$commande'" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo_ apt-get update -qq
# shellcheck disable=SC2086  # la liste doit être découpée en mots
$sudo_ apt-get install -y -qq --no-install-recommends $m
