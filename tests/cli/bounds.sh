#!/usr/bin/env bash
# hopcap bounds and the bounds in hopcap codes: every key of the JSON interface, against closed
# forms (n = 3: CSW Δ = 2/M, Prop 3.1 2/(3M) and 4/√M, Fejes Tóth; Rankin's simplex angle) and
# the codes that attain Levenshtein's bound (icosahedron, E8, Leech); bad arguments give one
# error line.
# Usage: bounds.sh PATH/TO/hopcap
source "$(dirname "$0")/common.bash" "$1"

keys="['prop31_lower','prop31_upper','csw_lower','levenshtein_upper','rankin_upper','fejes_toth_upper']"
expect_json "count keys" "list(j)==['dim','count','min_angle_deg','separation','kl_asymptotic_rate','best_lower','best_upper'] and list(j['min_angle_deg'])==$keys and list(j['separation'])==$keys and list(j['best_lower'])==['bound','angle_deg'] and j['dim']==3 and j['count']==12" bounds --dim 3 --count 12

# n = 3, M = 12: the icosahedron attains Levenshtein's and Fejes Tóth's bounds.
ico="math.degrees(math.acos(1/math.sqrt(5)))"
expect_json "icosahedron interval" "abs(j['min_angle_deg']['levenshtein_upper']-$ico)<1e-8 and abs(j['min_angle_deg']['fejes_toth_upper']-$ico)<1e-9 and abs(j['separation']['csw_lower']-2/12)<1e-12 and abs(j['separation']['prop31_lower']-2/36)<1e-12 and abs(j['separation']['prop31_upper']-4/math.sqrt(12))<1e-12 and j['best_lower']['bound']=='csw_lower' and abs(j['best_upper']['angle_deg']-$ico)<1e-8 and abs(j['min_angle_deg']['rankin_upper']-90)<1e-12" bounds --dim 3 --count 12
expect_json "kl rate" "abs(j['kl_asymptotic_rate']-(lambda s,c:-0.5*math.log2(1-c)-0.0990)(0,1-2/12))<1e-9" bounds --dim 3 --count 12
# M ≤ n + 1: Rankin's simplex angle; Fejes Tóth does not apply in n = 5.
expect_json "simplex" "abs(j['min_angle_deg']['rankin_upper']-math.degrees(math.acos(-1/3)))<1e-12 and j['min_angle_deg']['fejes_toth_upper'] is None and j['separation']['fejes_toth_upper'] is None and abs(j['separation']['rankin_upper']-4/3)<1e-12" bounds --dim 5 --count 4
expect_json "E8 kissing" "abs(j['min_angle_deg']['levenshtein_upper']-60)<1e-8 and j['best_upper']['bound']=='levenshtein_upper' and abs(j['separation']['levenshtein_upper']-0.5)<1e-9 and j['min_angle_deg']['csw_lower']<60" bounds --dim 8 --count 240
expect_json "Leech kissing" "abs(j['min_angle_deg']['levenshtein_upper']-60)<1e-8" bounds --dim 24 --count 196560

# Bounds on A(D, θ).
expect_json "angle keys" "list(j)==['dim','angle_deg','log2_count','rate'] and list(j['log2_count'])==['csw_lower','kl_upper_asymptotic','levenshtein_upper','rankin_upper'] and list(j['rate'])==['csw_lower','kl_upper']" bounds --dim 3 --angle 60
expect_json "angle n3 60" "abs(j['log2_count']['csw_lower']-2)<1e-12 and abs(j['rate']['csw_lower']+math.log2(math.sin(math.pi/3)))<1e-12 and abs(j['rate']['kl_upper']-0.401)<5e-6 and abs(j['log2_count']['kl_upper_asymptotic']-3*j['rate']['kl_upper'])<1e-12 and j['log2_count']['rankin_upper'] is None" bounds --dim 3 --angle 60
expect_json "angle E8" "abs(j['log2_count']['levenshtein_upper']-math.log2(240))<1e-9" bounds --dim 8 --angle 60
expect_json "angle 90" "abs(j['log2_count']['rankin_upper']-math.log2(10))<1e-12 and abs(j['log2_count']['levenshtein_upper']-math.log2(10))<1e-9 and j['log2_count']['kl_upper_asymptotic'] is None and j['rate']['kl_upper'] is None and abs(j['rate']['csw_lower'])<1e-15" bounds --dim 5 --angle 90
expect_json "angle 120" "abs(j['log2_count']['rankin_upper']-math.log2(3))<1e-12 and j['rate']['csw_lower'] is None" bounds --dim 5 --angle 120

# hopcap codes carries the same object for its M and dimension.
expect_json "codes bounds" "j['bounds']['count']==600 and j['bounds']['dim']==4 and j['bounds']['best_lower']['angle_deg']<=j['min_angle_deg']<=j['bounds']['best_upper']['angle_deg']" codes --generate 120cell
expect_json "codes e7" "j['M']==126 and j['d']==7 and abs(j['min_angle_deg']-60)<1e-9 and j['bounds']['min_angle_deg']['levenshtein_upper']>=60" codes --generate e7
expect_json "codes dn" "j['M']==2*6*5 and abs(j['max_cos']-0.5)<1e-12" codes --generate dn:6

expect_error "no mode" "exactly one of --count" bounds --dim 3
expect_error "both modes" "exactly one of --count" bounds --dim 3 --count 5 --angle 30
expect_error "no dim" "dim" bounds --count 5
expect_error "dim 1" "dim" bounds --dim 1 --count 5
expect_error "count 1" "count" bounds --dim 3 --count 1
expect_error "angle 0" "angle" bounds --dim 3 --angle 0
expect_error "angle 200" "angle" bounds --dim 3 --angle 200
expect_error "angle nan" "angle" bounds --dim 3 --angle nan
expect_error "bad dn" "dn:2" codes --generate dn:2

if [[ $failures -ne 0 ]]; then echo "$failures check(s) failed"; exit 1; fi
echo "all bounds checks passed"
