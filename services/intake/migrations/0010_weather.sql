-- The weather at the complaint's place and time, as the classifier attached it (temperature,
-- precipitation, wind, warnings in force; known=false when no observation was recent enough),
-- and whether it raised the urgency.
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS weather jsonb;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS weather_raised boolean NOT NULL DEFAULT false;
