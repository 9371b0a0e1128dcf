-- A role for trying pgtrail out: connect as app/app-secret through pgtrail on 127.0.0.1:6432.
CREATE ROLE app LOGIN PASSWORD 'app-secret';
CREATE DATABASE app OWNER app;
