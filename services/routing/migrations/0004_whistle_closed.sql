-- Routing keeps whether the whistle is still live (not cancelled or closed),
-- so departments are added to, and arbitrations carried out on, live whistles only.
ALTER TABLE routing_decisions ADD COLUMN closed boolean NOT NULL DEFAULT false;
