-- Handling manuals, part two: what to ask on the phone, what to tell the citizen, the night team
-- to call out, the outside agencies, and who wrote the version.
--
-- Manuals stay versioned: an edit through `PUT /api/v1/manuals/{type}` adds the row
-- manual-<type>-v<N+1> and never changes an older one. The fifteen v1 rows were seeded by
-- 0002 without these columns; this migration fills them in once (it runs once, like every
-- migration), so that v1 is complete.
--
-- agencies: a JSON array of {"name", "phone", "when"}. Only national numbers that are the
-- same everywhere in Korea are written here (112, 119, 121, 123, 110, 128, 129, 109, 122,
-- 100, 1544-4500, 1588-2504, 1661-2642). A phone of "" means the number is local: the duty
-- room's own emergency contact list has it (e.g. the province's wildlife rescue centre).
ALTER TABLE manuals
    ADD COLUMN IF NOT EXISTS phone_checks     text[] NOT NULL DEFAULT '{}',  -- what to ask/check on the phone
    ADD COLUMN IF NOT EXISTS tell_citizen     text[] NOT NULL DEFAULT '{}',  -- what to tell the citizen
    ADD COLUMN IF NOT EXISTS after_hours_team text,                          -- the night team to call out
    ADD COLUMN IF NOT EXISTS agencies         jsonb  NOT NULL DEFAULT '[]'
        CHECK (jsonb_typeof(agencies) = 'array'),
    ADD COLUMN IF NOT EXISTS edited_by        text,                          -- who wrote this version
    ADD COLUMN IF NOT EXISTS note             text;                          -- why this version

UPDATE manuals SET
    phone_checks = ARRAY[
        '정확한 위치: 도로명, 가까운 건물이나 가게, 몇 차로인지, 차도인지 보도인지',
        '파손 모양과 크기: 구멍(포트홀)의 깊이, 땅이 꺼졌는지(싱크홀), 맨홀 뚜껑이 열렸거나 없어졌는지',
        '지금 차량과 보행자가 지나다니는지, 이미 사고가 났거나 다친 사람이 있는지',
        '언제부터 그랬는지, 점점 커지고 있는지'],
    tell_citizen = ARRAY[
        '파손된 곳에 가까이 가지 마시고, 운전 중이시면 서행하거나 다른 길로 돌아가 주세요.',
        '야간 도로 보수반이 출동해 안전표지와 라바콘을 먼저 설치하고, 완전한 복구는 날이 밝은 뒤 진행합니다.'],
    after_hours_team = '도로 보수 야간 긴급대응반',
    agencies = '[
        {"name": "경찰", "phone": "112", "when": "싱크홀·열린 맨홀처럼 사고 위험이 있어 교통 통제가 필요할 때"},
        {"name": "소방", "phone": "119", "when": "땅꺼짐으로 사람이나 차량이 빠졌거나 다친 사람이 있을 때"},
        {"name": "한국도로공사 콜센터", "phone": "1588-2504", "when": "고속도로 구간의 파손·낙하물"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-road_damage-v1';

UPDATE manuals SET
    phone_checks = ARRAY[
        '물이 새는 위치와 양: 땅에서 솟구치는지, 도로로 흘러넘치는지',
        '단수 범위: 우리 집만인지, 건물 전체인지, 동네 전체인지, 언제부터인지',
        '계량기 동파인지, 녹물·냄새 같은 수질 문제인지',
        '넘친 물이 얼어 빙판이 생기거나 건물·지하로 들어가고 있는지'],
    tell_citizen = ARRAY[
        '물이 넘치거나 얼어붙은 곳에는 가까이 가지 마시고, 차량은 서행해 주세요.',
        '긴급복구반이 밸브를 잠근 뒤 복구합니다. 단수가 길어지면 급수 지원을 안내해 드리겠습니다.',
        '계량기가 얼었다면 뜨거운 물을 붓지 마시고 미지근한 물이나 드라이어로 천천히 녹여 주세요.'],
    after_hours_team = '상하수도 야간 긴급복구반',
    agencies = '[
        {"name": "수도 고장신고(상수도사업소·한국수자원공사)", "phone": "121", "when": "국번없이 121: 수도관 파열, 단수, 계량기 동파를 지역 상수도 사업자에 신고할 때"},
        {"name": "경찰", "phone": "112", "when": "도로로 물이 넘치거나 얼어 교통 통제가 필요할 때"},
        {"name": "소방", "phone": "119", "when": "건물이 잠기거나 전기 설비가 물에 닿아 감전 위험이 있을 때"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-water_supply-v1';

UPDATE manuals SET
    phone_checks = ARRAY[
        '물이 찬 위치와 깊이(발목, 무릎), 물이 계속 불어나는지',
        '집, 상가, 지하 주차장이나 반지하로 물이 들어오는지, 갇히거나 대피가 필요한 사람이 있는지',
        '빗물받이나 하수구가 막혔는지(덮개, 쓰레기, 낙엽), 하수가 역류하는지',
        '정화조가 넘치거나 오수가 도로로 흐르는지'],
    tell_citizen = ARRAY[
        '물에 잠긴 지하 공간과 지하 주차장에는 들어가지 마시고, 물에 닿은 전기 설비에 가까이 가지 마세요.',
        '사람이 갇혔거나 물이 빠르게 차오르면 즉시 119에 신고해 주세요.',
        '하수도 대응반이 준설과 양수 작업을 위해 출동합니다.'],
    after_hours_team = '하수도 야간 준설·양수 대응반',
    agencies = '[
        {"name": "소방", "phone": "119", "when": "사람이 고립되었거나 건물·지하 공간이 잠기고 있을 때"},
        {"name": "경찰", "phone": "112", "when": "침수된 도로나 지하차도의 통행을 막아야 할 때"},
        {"name": "한국전력공사", "phone": "123", "when": "변압기·전선 같은 전기 설비가 물에 잠겼을 때"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-sewer_drainage-v1';

UPDATE manuals SET
    phone_checks = ARRAY[
        '차량 위치, 차종과 색상, 차량번호',
        '무엇을 막고 있는지: 주차장 출입구, 소방차 전용구역, 소화전, 횡단보도, 보도',
        '차량이 갇혔거나 구급차·소방차 통행이 막혔는지, 언제부터 서 있었는지',
        '차주와 다툼이 있거나 위협을 받았는지'],
    tell_citizen = ARRAY[
        '차주에게 직접 항의하거나 차량을 건드리지 마세요.',
        '차주 연락은 당직자가 하며, 차주의 연락처는 알려드릴 수 없습니다.',
        '통행에 지장이 없는 불법 주차는 아침에 단속반이 처리합니다.'],
    after_hours_team = '교통 야간 단속·견인 대기반',
    agencies = '[
        {"name": "경찰", "phone": "112", "when": "차주와 다툼이나 위협이 있거나 긴급 차량 통행을 막을 때"},
        {"name": "소방", "phone": "119", "when": "소방차 전용구역·소화전을 막아 화재 대응에 지장이 있을 때"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-illegal_parking-v1';

UPDATE manuals SET
    phone_checks = ARRAY[
        '소음 종류: 공사장, 업소(노래방, 주점), 이웃, 차량·오토바이, 확성기',
        '소음이 나는 장소와 시작 시각, 계속되는지 반복되는지',
        '싸움, 고성, 위협이 함께 있는지',
        '공사 소음이면 공사장 이름과 안내판의 시공사 이름'],
    tell_citizen = ARRAY[
        '소음을 내는 사람과 직접 다투지 마시고, 위협을 받으면 112에 신고해 주세요.',
        '층간소음은 층간소음 이웃사이센터(1661-2642)에서 상담을 받으실 수 있습니다.',
        '야간 공사와 업소 소음은 당직반이 현장을 확인한 뒤 결과를 알려 드리겠습니다.'],
    after_hours_team = '환경 야간 소음 점검반',
    agencies = '[
        {"name": "경찰", "phone": "112", "when": "고성방가, 싸움, 위협처럼 심야 소란이 계속될 때"},
        {"name": "층간소음 이웃사이센터", "phone": "1661-2642", "when": "층간소음 상담과 현장 진단(업무 시간)"},
        {"name": "환경신문고", "phone": "128", "when": "공장이나 사업장의 소음·진동을 신고할 때"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-noise-v1';

UPDATE manuals SET
    phone_checks = ARRAY[
        '가로등 기둥에 붙은 관리번호, 가까운 건물이나 교차로',
        '꺼진 등이 몇 개인지, 한 구간 전체가 꺼졌는지, 깜빡이는지',
        '기둥이 쓰러졌거나 기울었는지, 전선이 드러났거나 불꽃이 튀는지',
        '횡단보도나 교차로 주변이라 사고 위험이 큰지'],
    tell_citizen = ARRAY[
        '쓰러진 가로등이나 드러난 전선에는 절대 손대지 마시고 가까이 가지 마세요.',
        '기둥에 붙은 관리번호를 알려 주시면 더 빨리 고칠 수 있습니다.',
        '한두 개가 꺼진 경우는 아침에 유지보수 업체가 수리합니다.'],
    after_hours_team = '가로등 야간 유지보수 대기반(전기 공사 업체)',
    agencies = '[
        {"name": "한국전력공사", "phone": "123", "when": "전선이 끊어졌거나 한전 전신주에 달린 등, 동네 전체 정전일 때"},
        {"name": "소방", "phone": "119", "when": "감전, 불꽃, 화재 위험이 있을 때"},
        {"name": "경찰", "phone": "112", "when": "쓰러진 기둥이 도로를 막고 있을 때"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-streetlight-v1';

UPDATE manuals SET
    phone_checks = ARRAY[
        '교차로 이름이나 가까운 건물, 어느 방향의 신호등인지',
        '신호등이 모두 꺼졌는지, 노란불만 깜빡이는지, 한 방향만 고장인지',
        '쓰러진 표지판이나 부서진 가드레일이 차로를 막고 있는지',
        '이미 사고가 났거나 다친 사람이 있는지'],
    tell_citizen = ARRAY[
        '신호등이 꺼진 교차로에서는 서행하시고 경찰의 수신호를 따라 주세요.',
        '쓰러진 시설물에 가까이 가지 마시고 2차 사고에 주의해 주세요.'],
    after_hours_team = '교통시설 야간 긴급보수반(신호 유지보수 업체)',
    agencies = '[
        {"name": "경찰", "phone": "112", "when": "신호가 꺼진 교차로의 교통 정리, 사고 현장 통제가 필요할 때"},
        {"name": "소방", "phone": "119", "when": "사고로 다친 사람이 있을 때"},
        {"name": "한국도로공사 콜센터", "phone": "1588-2504", "when": "고속도로의 표지판·가드레일 파손"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-traffic_facility-v1';

UPDATE manuals SET
    phone_checks = ARRAY[
        '동물 종류와 크기, 살아 있는지, 다쳤는지',
        '사람을 위협하거나 쫓아오는지(멧돼지, 들개, 뱀), 물리거나 쏘인 사람이 있는지',
        '정확한 위치, 차도 위에 있는지',
        '벌집이면 크기와 높이, 사람이 자주 다니는 곳인지'],
    tell_citizen = ARRAY[
        '야생동물이나 낯선 개에게 다가가거나 먹이를 주지 마시고, 안전한 곳으로 피해 주세요.',
        '벌에 쏘인 뒤 숨이 차거나 어지러우면 즉시 119에 신고해 주세요.',
        '도로 위 사체는 수거 업체가 치웁니다. 직접 옮기지 마세요.'],
    after_hours_team = '동물 사체 수거 대행업체·동물보호 야간 당직',
    agencies = '[
        {"name": "소방", "phone": "119", "when": "멧돼지·들개·뱀처럼 사람을 위협하는 동물, 벌집 제거, 갇힌 동물 구조"},
        {"name": "경찰", "phone": "112", "when": "차도 위의 큰 동물이나 사체로 사고 위험이 있을 때"},
        {"name": "야생동물구조관리센터(시·도, 당직실 비상연락망 참조)", "phone": "", "when": "다치거나 어미를 잃은 야생동물"},
        {"name": "한국도로공사 콜센터", "phone": "1588-2504", "when": "고속도로의 로드킬"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-animal-v1';

UPDATE manuals SET
    phone_checks = ARRAY[
        '쓰레기 종류: 생활 쓰레기, 음식물, 대형 폐기물, 건축 폐기물',
        '양과 위치, 도로나 보도를 막고 있는지',
        '불이 붙었거나 연기·심한 악취가 나는지',
        '무단투기를 봤다면 시각, 차량번호, 가까운 CCTV'],
    tell_citizen = ARRAY[
        '무단투기하는 사람을 직접 제지하지 마시고, 시각과 차량번호만 알려 주세요.',
        '통행을 막는 쓰레기는 오늘 밤 치우고, 그 밖의 수거는 다음 수거일에 처리합니다.'],
    after_hours_team = '청소 야간 수거 대행업체',
    agencies = '[
        {"name": "소방", "phone": "119", "when": "쓰레기에 불이 붙었거나 연기가 날 때"},
        {"name": "경찰", "phone": "112", "when": "투기 차량과 다툼이나 위협이 있을 때"},
        {"name": "환경신문고", "phone": "128", "when": "건설·사업장 폐기물을 몰래 버리는 것을 신고할 때"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-waste-v1';

UPDATE manuals SET
    phone_checks = ARRAY[
        '나무 위치와 굵기, 쓰러졌는지 기울어 쓰러질 것 같은지',
        '차도, 차량, 건물, 전선을 덮쳤는지',
        '다친 사람이나 갇힌 차량이 있는지',
        '큰 가지가 매달려 떨어질 것 같은지'],
    tell_citizen = ARRAY[
        '쓰러진 나무와 늘어진 전선에 가까이 가지 마세요.',
        '차량은 나무를 피해 돌아가 주세요. 긴급처리반이 출동해 치우겠습니다.'],
    after_hours_team = '공원녹지 야간 수목 긴급처리반',
    agencies = '[
        {"name": "소방", "phone": "119", "when": "나무가 차량이나 건물을 덮쳤거나 다친 사람이 있을 때"},
        {"name": "경찰", "phone": "112", "when": "쓰러진 나무가 차로를 막아 교통 통제가 필요할 때"},
        {"name": "한국전력공사", "phone": "123", "when": "나무가 전선에 걸렸거나 전선이 끊어졌을 때"},
        {"name": "KT 고객센터", "phone": "100", "when": "나무가 통신선에 걸렸을 때"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-tree_vegetation-v1';

UPDATE manuals SET
    phone_checks = ARRAY[
        '냄새나 연기의 종류: 가스, 타는 냄새, 공장 연기, 화학약품, 하수구, 축사',
        '발생 위치와 범위, 언제부터인지',
        '어지러움, 두통, 구토처럼 몸에 이상이 있는 사람이 있는지',
        '기름이나 화학물질이 흘렀다면 하천이나 바다로 들어가고 있는지'],
    tell_citizen = ARRAY[
        '가스 냄새가 나면 불을 켜거나 끄지 마시고, 창문을 연 뒤 밖으로 나와 119에 신고해 주세요.',
        '연기나 화학물질 냄새가 심하면 창문을 닫고 현장에서 멀리 떨어져 주세요.'],
    after_hours_team = '환경오염 야간 감시반',
    agencies = '[
        {"name": "소방", "phone": "119", "when": "가스 냄새, 화재, 화학물질 유출"},
        {"name": "한국가스안전공사", "phone": "1544-4500", "when": "가스 누출 사고와 가스 시설 안전 문의"},
        {"name": "환경신문고", "phone": "128", "when": "폐수 방류, 매연, 불법 소각 같은 환경오염 신고"},
        {"name": "해양경찰(해양 긴급신고)", "phone": "122", "when": "바다나 하구로 기름이 흘러들 때"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-odor_pollution-v1';

UPDATE manuals SET
    phone_checks = ARRAY[
        '그 사람의 의식과 호흡, 다친 곳이 있는지',
        '도로 위에 누워 있는지, 추위나 더위에 노출되어 있는지',
        '싸움, 폭행, 흉기, 위협이 있는지',
        '길을 잃은 어르신이나 아이인지, 인상착의'],
    tell_citizen = ARRAY[
        '싸움이나 위협이 있으면 가까이 가지 마시고 안전한 곳으로 피한 뒤 112에 신고해 주세요.',
        '의식이 없거나 다친 사람이 있으면 즉시 119에 신고해 주세요.',
        '노숙인 보호는 복지 당직과 연계해 도움을 드리겠습니다.'],
    after_hours_team = '복지정책과 야간 당직(노숙인 보호 연계)',
    agencies = '[
        {"name": "경찰", "phone": "112", "when": "싸움, 폭행, 흉기, 도로 위 주취자, 실종된 어르신이나 아이"},
        {"name": "소방", "phone": "119", "when": "의식이 없거나 다친 사람, 저체온이 의심될 때"},
        {"name": "보건복지상담센터", "phone": "129", "when": "노숙인·위기가구의 복지 지원 연계"},
        {"name": "자살예방상담전화", "phone": "109", "when": "극단적 선택을 암시하는 사람이 있을 때"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-public_order-v1';

UPDATE manuals SET
    phone_checks = ARRAY[
        '시설물 종류: 간판, 축대, 담장, 공사장 펜스, 비계, 놀이기구',
        '기울거나 금이 가는 것이 진행 중인지, 무엇이 떨어지고 있는지',
        '아래로 사람이나 차량이 지나다니는지, 다친 사람이 있는지',
        '공사장이면 안내판의 공사 이름과 시공사 비상연락처'],
    tell_citizen = ARRAY[
        '무너지거나 떨어질 위험이 있는 곳 아래로 지나가지 마시고 멀리 떨어져 주세요.',
        '공사장 안전조치는 시공사에 요구하고 조치 결과를 확인하겠습니다.'],
    after_hours_team = '안전총괄과 야간 재난안전 당직',
    agencies = '[
        {"name": "소방", "phone": "119", "when": "붕괴, 낙하, 사람이 갇히거나 다쳤을 때"},
        {"name": "경찰", "phone": "112", "when": "주변 도로와 보도의 통행을 막아야 할 때"},
        {"name": "한국전력공사", "phone": "123", "when": "전신주가 기울었거나 전선이 위험할 때"},
        {"name": "한국가스안전공사", "phone": "1544-4500", "when": "공사 중 가스관이 손상된 것 같을 때(가스 냄새는 119 먼저)"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-facility_safety-v1';

UPDATE manuals SET
    phone_checks = ARRAY[
        '위치, 비탈길·언덕길·교량·버스정류장·학교 앞인지',
        '얼어붙은 범위와 눈이 쌓인 정도',
        '미끄러진 차량이나 넘어진 사람, 사고가 있는지',
        '가까운 제설함(염화칼슘)을 알고 있는지'],
    tell_citizen = ARRAY[
        '빙판길에서는 서행하시고 걸으실 때도 미끄럼에 주의해 주세요.',
        '가까운 제설함의 염화칼슘을 쓰실 수 있으며, 제설차는 주요 도로부터 차례로 작업합니다.'],
    after_hours_team = '도로 제설 야간 비상근무반',
    agencies = '[
        {"name": "경찰", "phone": "112", "when": "빙판 사고나 통행 통제가 필요할 때"},
        {"name": "소방", "phone": "119", "when": "미끄러져 다친 사람이 있을 때"},
        {"name": "한국도로공사 콜센터", "phone": "1588-2504", "when": "고속도로의 제설·결빙"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-snow_ice-v1';

UPDATE manuals SET
    phone_checks = ARRAY[
        '무엇을 원하시는지: 문의, 의견, 처리 요청',
        '지금 위험한 일이 있는지(있으면 해당 유형의 매뉴얼을 따른다)',
        '업무 시간에 회신을 받으실지, 받으신다면 연락 방법',
        '다른 기관의 일인지(경찰, 소방, 한전, 정부 기관)'],
    tell_citizen = ARRAY[
        '업무 시간(평일 오전 9시~오후 6시)에 담당 부서에서 확인한 뒤 안내해 드리겠습니다.',
        '위험한 상황이 생기면 112 또는 119에 먼저 신고해 주세요.'],
    after_hours_team = '당직실(당직 책임관)',
    agencies = '[
        {"name": "정부민원안내콜센터", "phone": "110", "when": "중앙 정부 기관의 업무나 어디에 물어야 할지 모르는 문의"},
        {"name": "경찰", "phone": "112", "when": "범죄나 위협이 있을 때"},
        {"name": "소방", "phone": "119", "when": "화재, 구조, 응급 환자"}]',
    edited_by = 'migration 0004_manual_details',
    note = '전화 확인 사항, 민원인 안내, 야간 대응팀, 외부 기관 추가'
WHERE id = 'manual-other-v1';
