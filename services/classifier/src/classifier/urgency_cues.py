"""The urgency cues of model ``lexicon-1`` (data only; domain.decide_urgency applies them).

Patterns are matched like the lexicon's: on the complaint with spaces and punctuation removed.
A cue followed closely by a negation ("위험하지 않아요", "다친 사람은 없어요") does not count.
Urgency as the labelling guide defines it (shared/design/TAXONOMY.md): urgent is danger to life,
health or property now, or a hazard on a road in use; normal needs action within the day; low
can wait for office hours.
"""

from __future__ import annotations

from sunmoon.events.classifier import COMPLAINT_TYPES

# (pattern, types it applies to; None = any type). Any of these makes a complaint urgent:
# danger to life, health or property now, or a hazard on a road in use.
# A parked car that blocks a road is an obstruction (normal, see NORMAL_CUES), not a hazard.
_NOT_PARKING = frozenset(COMPLAINT_TYPES) - {"illegal_parking"}
# (pattern, types it applies to or None for any type, unless: a pattern that cancels the cue)
_DEAD = r"사체|죽어|죽은|치여|치인|치였|로드킬"
URGENT_CUES: tuple[tuple[str, frozenset[str] | None, str | None], ...] = (
    (r"싱크홀|씽크홀|땅꺼짐|땅이꺼|지반침하|도로침하|도로가꺼|도로가내려앉|땅이내려앉", None, None),
    (r"침수|물에잠|물이잠|물바다|물이차올|물이찼|물이차서|물난리|범람|물이들어와|물이집안|도로가잠", None, None),
    (r"역류", frozenset({"sewer_drainage"}), None),
    (r"터져|터졌|터진|파열|솟구|솟아|뿜어|물기둥|콸콸", frozenset({"water_supply", "sewer_drainage"}), None),
    (r"(맨홀|멘홀|하수구|배수구|빗물받이)(뚜껑|덮개|뚜겅)?.{0,6}(열려|열린|없어|없는|빠져|사라|튀어|날아|깨져|파손)", None, None),
    (r"(도로|차도|찻길|길|차선|인도|보도|통행|골목)(을|를)?(막|덮|가로막)|통행불가|통행이불가|지나갈수가없|못지나가"
     r"|(도로|차도|찻길|차선)(에|위에|으로|로|위로)?.{0,3}(쓰러져|떨어져|널브|널려|흩어져|나뒹굴)",
     _NOT_PARKING, None),
    (r"(기름|오일|폐유|유류).{0,4}(쏟|흘러|흘렀|유출|새어|새고|넘쳐)", None, None),
    (r"신호(등|기)?(이|가|불이|불)?.{0,4}(꺼|안들어|안켜|고장|먹통|나갔|안바뀌|작동안|작동을안|이상해)",
     frozenset({"traffic_facility"}), None),
    # a dangerous animal alive (a dead boar on the verge is a carcass: normal); a bite or a sting
    (r"멧돼지|맷돼지|산돼지|들개|야생견|독사|살모사", None, _DEAD),
    (r"물렸|물었|물어서|개물림|쏘였|쏘여|쏘인|공격", frozenset({"animal"}), None),
    (r"쓰러져있|쓰러져계|쓰러져서|쓰러진사람|사람이쓰러|의식이없|의식을잃|숨을안|숨을못|피를흘|피가나|피투성이"
     r"|움직이지않|움직이지도않|꿈쩍", frozenset({"public_order"}), None),
    (r"(도로|차도|찻길|길바닥|횡단보도|차선|길한가운데|도로한가운데)(에|위에|에서|위|한가운데)?.{0,4}(누워|자고|잠들|쓰러|앉아)",
     frozenset({"public_order"}), None),
    (r"싸움|싸우|싸워|폭행|때리|패싸움|흉기|칼을|칼로|위협|협박|난투", frozenset({"public_order"}), None),
    (r"배회|길을잃|길잃|실종|미아|아이가없어|애가없어|아이를잃어|아이가사라", frozenset({"public_order"}), None),
    (r"무너|붕괴|떨어질것같|떨어질듯|떨어지려|떨어지기직전|쓰러질것같|쓰러질듯|쓰러지려|쓰러지기직전|넘어갈것같"
     r"|낙하|추락|날아갈것같|날아다", None, None),
    (r"(나무|가로수|가지|고목).{0,8}(쓰러|넘어|부러).{0,12}(도로|차도|찻길|차선|길을|길에|차가|통행)"
     r"|(도로|차도|찻길|차선).{0,8}(나무|가로수|가지).{0,6}(쓰러|넘어|부러)", frozenset({"tree_vegetation"}), None),
    # a structure that has already fallen or is bulging
    (r"(간판|가림막|펜스|담장|담벼락|구조물|비계|자재|철근|철판|현수막|천막|지붕|외벽)(이|가)?.{0,8}"
     r"(쓰러졌|쓰러져|넘어졌|넘어져|떨어졌|떨어져|무너)|(옹벽|축대|석축).{0,8}(튀어나|배불|기울|불룩)",
     frozenset({"facility_safety"}), None),
    (r"저체온|동사할|얼어죽|쓰러질것같아요", frozenset({"public_order"}), None),
    (r"화재|불이났|불났|불이붙|불길|폭발", None, None),
    (r"가스냄새|가스누출|가스가새|가스샘|가스가샌", None, None),
    (r"감전|스파크|누전|전선.{0,4}(끊어|늘어|떨어|걸려|걸쳐|닿)|(끊어진|끊긴|늘어진|떨어진)전선|전선에걸"
     r"|전깃줄.{0,4}(끊어|늘어|떨어|걸려)", None, None),
    (r"화학물질|유독|독성|유해가스|누출", frozenset({"odor_pollution", "facility_safety"}), None),
)

# Plain urgency words: one level up (low -> normal, normal -> urgent). (pattern, types or None)
# Injury words are about people: an injured animal is the animal type's ordinary case (normal).
PUSH_UP: tuple[tuple[str, frozenset[str] | None], ...] = (
    (r"위험|위태|급해|급합|급한|급히|긴급|응급|사고|큰일|119|구급", None),
    (r"다쳤|다쳐|다칠|다친|부상", frozenset(COMPLAINT_TYPES) - {"animal"}),
)

# Per type: cues that make a complaint at least "normal" (and outweigh the low cues below).
NORMAL_CUES: dict[str, str] = {
    "illegal_parking": r"못나가|못빼|차를빼|차좀빼|차빼|빼달|빼주|출차|통행|지나갈수|지나가지|소방차|소화전|구급차"
                       r"|막고|막아|막혀|입구|출입구|비상구|차고앞|대문앞|진입|못지나|겨우지나|못다니|못들어"
                       r"|인도|보도|횡단보도|어린이보호구역|스쿨존|버스정류장|정류장",
    "streetlight": r"꺼져|꺼졌|꺼진|꺼지|꺼있|나갔|나가|안들어|안켜|고장|깜빡|깜박|점멸|불이안|파손|쓰러",
    "waste": r"쏟아|흩어|도로에|차도|악취|냄새|썩",
    "animal": r"사체|죽어|죽은|로드킬|치여|치인|다쳐|다친",  # a carcass or an injured animal is not a pest
}

# Requests for improvement, questions, policy: can wait for office hours (-> low).
# (pattern, types it applies to; None = any type)
LOW_CUES: tuple[tuple[str, frozenset[str] | None], ...] = (
    (r"설치해|설치요청|설치부탁|설치좀|설치를|설치했으면|추가설치|추가로설치|신설|늘려|늘렸으면|줄여|바꿔|바꿨으면"
     r"|변경해|변경요청|개선|건의|제안|검토|문의|궁금|알려주|알고싶|방법|어떻게하|정책|제도|불합리|부당|억울"
     r"|짧아|짧습|있었으면|생겼으면|점검좀|점검해|대책|의견드|의견입니다", None),
    (r"어두|어둡|깜깜|캄캄|컴컴", frozenset({"streetlight"})),
    (r"가지치기|전지|전정|잡초|잡풀|풀베|제초|예초|벌초|낙엽|열매|무성", frozenset({"tree_vegetation"})),
    (r"비둘기|모기|방역|해충|벌레|나방|하루살이|러브버그|깔따구|까마귀|까치|중성화|tnr|급식소|캣맘|먹이", frozenset({"animal"})),
)

# What follows a cue closely and takes it back: "위험하지 않아요", "다친 사람은 없어요".
NEGATION_AFTER = r"^.{0,3}(않|없|아니)"
