create database apicurio_registry;
