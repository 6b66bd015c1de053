#!/usr/bin/env bash
# Fails when a package imports what the architecture forbids: dependencies
# point inward (cmd → adapters/store/console → bot → dialog, knowledge, understand);
# textsplit is a leaf every layer may use; bot/wire (the compact record form)
# one the stores may use too; internal/jsonscan (the shared JSON scanner) one
# the LINE adapter and the commands may use; internal/apiclient (the platform
# API client) one the adapters and the commands may use.
set -euo pipefail
mod=$(go list -m)
fail=0
while read -r pkg imports; do
  rel=${pkg#"$mod"}; rel=${rel#/}
  for imp in $imports; do
    case $imp in "$mod"/*) ;; *) continue ;; esac
    dep=${imp#"$mod"/}
    bad=""
    case $rel in
      dialog*|knowledge*|metrics*|understand*|textsplit*|internal/jsonscan*|internal/apiclient*) bad="imports nothing of ours" ;;
      bot|bot/*) case $dep in dialog|knowledge|metrics|understand|textsplit|bot/*) ;; *) bad="imports only dialog, knowledge, metrics, understand, textsplit" ;; esac ;;
      adapters/internal*) case $dep in bot|metrics|textsplit) ;; *) bad="imports only bot, metrics and textsplit" ;; esac ;;
      adapters/line*) case $dep in bot|metrics|textsplit|adapters/internal/*|internal/jsonscan|internal/apiclient) ;; *) bad="imports only bot, metrics, textsplit, adapters/internal, internal/jsonscan and internal/apiclient" ;; esac ;;
      adapters/telegram*) case $dep in bot|metrics|textsplit|adapters/internal/*|internal/apiclient) ;; *) bad="imports only bot, metrics, textsplit, adapters/internal and internal/apiclient" ;; esac ;;
      store/*) case $dep in bot|bot/wire|store/*) ;; *) bad="imports only bot, bot/wire and store/*" ;; esac ;;
      console*) case $dep in bot|metrics|console/*) ;; *) bad="imports only bot" ;; esac ;;
    esac
    if [ -n "$bad" ]; then echo "$rel imports $dep: $rel $bad"; fail=1; fi
  done
done < <(go list -f '{{.ImportPath}} {{join .Imports " "}}' ./...)
exit $fail
